"""Companies: organisations that contacts belong to, with their own numbers."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm.domain.config import DomainConfig
from crm.domain.contact_events import record_company, record_contacts_updated
from crm.domain.deletions import DeletedKind, record_deletion
from crm.domain.errors import ValidationFailed
from crm.domain.pagination import Page, page_request
from crm.domain.phone_numbers import COMPANY_KINDS, PhoneInput, prepare_phones
from crm.domain.references import existing_user
from crm.domain.search import contains_pattern, fold
from crm.domain.unset import UNSET, Maybe, given_fields, is_set
from crm.domain.validation import clean_moment, clean_text, clean_url, found, now, parse_id
from crm.domain.webhooks import Outbox, WebhookEventType
from crm.queries import companies as queries
from crm.queries import contacts, phone_numbers
from crm.queries.rows import save
from crm.queries.transactions import lock_keys, transaction
from crm.tables import Company, PhoneNumber

MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class CompanyInput:
    """Fields of a company; on update, `UNSET` leaves a field as it is.

    A given `phones` list replaces the company's numbers.
    """

    name: Maybe[str] = UNSET
    website: Maybe[str | None] = UNSET
    address: Maybe[str | None] = UNSET
    owner_id: Maybe[str | uuid.UUID | None] = UNSET
    phones: Maybe[Sequence[PhoneInput] | None] = UNSET


@dataclass(frozen=True, slots=True)
class CompanyFilter:
    """Which companies a list holds; `None` does not filter."""

    text: str | None = None
    """Case-insensitive part of the name."""
    updated_since: datetime | None = None
    """Only companies changed at or after this moment."""


class CompanyService:
    """Create, change, delete, find and list companies with their numbers."""

    def __init__(self, config: DomainConfig, outbox: Outbox | None = None) -> None:
        self._config = config
        self._outbox = outbox or Outbox()

    async def get(
        self, company_id: str | uuid.UUID, *, field: str = "id", lock: bool = False
    ) -> Company:
        """The company; with `lock`, its row stays locked until the caller's transaction ends."""
        cid = parse_id(company_id, field=field, entity="company")
        company = await queries.by_id(cid, lock=lock)
        return found(company, company_id, entity="company", field=field)

    async def get_many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Company]:
        """Companies by id, for DataLoaders; an empty list costs no query."""
        return await queries.by_ids(ids)

    async def phones_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[PhoneNumber]]:
        """The numbers of each company, in their given order."""
        return await phone_numbers.phones_by_owner(PhoneNumber.company, ids)

    async def by_name(self, name: str) -> Company | None:
        """The oldest company with this name, compared case-insensitively."""
        cleaned = clean_text(name, field="name", max_length=MAX_NAME_LENGTH)
        if cleaned is None:
            return None
        return await queries.oldest_by_folded_name(fold(cleaned))

    async def list(
        self,
        filter: CompanyFilter | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Company]:
        """Companies in (updated_at, id) order, so that `updated_since` and cursors sync."""
        filter = filter or CompanyFilter()
        request = page_request(limit, cursor, self._config)
        text = clean_text(filter.text, field="text", max_length=MAX_NAME_LENGTH)
        since = filter.updated_since
        return await queries.page(
            request,
            pattern=contains_pattern(text) if text is not None else None,
            since=clean_moment(since, field="updated_since") if since is not None else None,
        )

    async def create(self, data: CompanyInput) -> Company:
        if not is_set(data.name):
            raise ValidationFailed("is required", field="name")
        company = Company()
        phones = self._apply(company, data)
        async with transaction():
            if is_set(data.owner_id):
                company.owner = await existing_user(data.owner_id)
            await save(company)
            if phones is not None:
                await phone_numbers.replace_phones(PhoneNumber.company, company.id, phones)
            await record_company(self._outbox, WebhookEventType.COMPANY_CREATED, company)
        return company

    async def find_or_create(self, name: str, *, field: str = "company_name") -> Company:
        """The company with this name (any case), created when there is none.

        Call it inside the caller's transaction, so that a later error undoes the creation.
        """
        cleaned = clean_text(name, field=field, max_length=MAX_NAME_LENGTH, required=True)
        assert cleaned is not None  # required=True
        # Two contacts naming one new company at the same time must not create it twice.
        await lock_keys([f"company-name:{fold(cleaned)}"])
        existing = await self.by_name(cleaned)
        if existing is not None:
            return existing
        company = Company(name=cleaned, search_text=fold(cleaned))
        await save(company)
        await record_company(self._outbox, WebhookEventType.COMPANY_CREATED, company)
        return company

    async def update(self, company_id: str | uuid.UUID, data: CompanyInput) -> Company:
        """Change a company; a new name also moves its contacts' `updated_at`, because a
        contact is served with its company's name and a sync must see it change.
        Only the given fields' columns are written, so simultaneous edits of different
        fields all stay.
        """
        async with transaction():
            company = await self.get(company_id, lock=True)
            old_name = company.name
            phones = self._apply(company, data)
            if is_set(data.owner_id):
                company.owner = await existing_user(data.owner_id)
            company.updated_at = now()
            await queries.save_changes(company, given_fields(data))
            if company.name != old_name:
                await contacts.touch_of_company(company.id, company.updated_at)
            if phones is not None:
                await phone_numbers.replace_phones(PhoneNumber.company, company.id, phones)
            await record_company(self._outbox, WebhookEventType.COMPANY_UPDATED, company)
        return company

    async def delete(self, company_id: str | uuid.UUID) -> uuid.UUID:
        """Delete a company and its numbers; its contacts stay, with no company.

        The contacts' `updated_at` moves, so an incremental sync sees them change, and
        the deletion is recorded for sync.
        """
        async with transaction():
            company = await self.get(company_id, lock=True)
            at = now()
            await record_company(self._outbox, WebhookEventType.COMPANY_DELETED, company)
            detached = await contacts.ids_of_company(company.id)
            await contacts.detach_from_company(company.id, at)
            await record_contacts_updated(self._outbox, detached)
            await phone_numbers.replace_phones(PhoneNumber.company, company.id, [])
            await queries.delete(company.id)
            await record_deletion(DeletedKind.COMPANY, company.id, at)
        return company.id

    def _apply(self, company: Company, data: CompanyInput) -> builtins.list[PhoneNumber] | None:
        """Check and copy the plain fields; return the checked numbers when given."""
        if is_set(data.name):
            name = clean_text(data.name, field="name", max_length=MAX_NAME_LENGTH, required=True)
            company.name = name
            company.search_text = fold(company.name)
        if is_set(data.website):
            company.website = clean_url(data.website, field="website")
        if is_set(data.address):
            company.address = clean_text(
                data.address, field="address", max_length=MAX_ADDRESS_LENGTH
            )
        if is_set(data.owner_id) and data.owner_id is not None:
            parse_id(data.owner_id, field="owner_id", entity="user")
        if not is_set(data.phones):
            return None
        return prepare_phones(
            data.phones or [], region=self._config.default_region, allowed=COMPANY_KINDS
        )
