"""Contacts: the people the organisation talks to, with their numbers, company and owner."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from crm.domain.companies import MAX_NAME_LENGTH as MAX_COMPANY_NAME_LENGTH
from crm.domain.companies import CompanyService
from crm.domain.config import DomainConfig
from crm.domain.contact_events import record_contact
from crm.domain.deletions import DeletedKind, record_deletion
from crm.domain.errors import ValidationFailed
from crm.domain.pagination import Page, page_of, page_request, updated_at_cursor
from crm.domain.phone_normalization import is_internal_extension
from crm.domain.phone_numbers import CONTACT_KINDS, PhoneInput, prepare_phones
from crm.domain.references import existing_user
from crm.domain.search import contact_search_text, contains_pattern
from crm.domain.unset import UNSET, Maybe, given_fields, is_set
from crm.domain.validation import clean_email, clean_moment, clean_text, found, now, parse_id
from crm.domain.webhooks import Outbox, WebhookEventType
from crm.queries import contacts as queries
from crm.queries import phone_numbers
from crm.queries.rows import save
from crm.queries.transactions import lock_keys, transaction
from crm.tables import Contact, PhoneNumber

MAX_SEARCH_LENGTH = 200
EMPTY_CONTACT = "a contact needs a name, an email or a phone number"

# The fields that make a contact someone.
_IDENTIFYING_FIELDS = ("first_name", "last_name", "email", "phones")


@dataclass(frozen=True, slots=True)
class ContactInput:
    """Fields of a contact; on update, `UNSET` leaves a field as it is.

    `company_name` names the company (created when no company has that name, in
    any case); give it or `company_id`, not both. A given `phones` list replaces
    the contact's numbers.
    """

    first_name: Maybe[str | None] = UNSET
    last_name: Maybe[str | None] = UNSET
    email: Maybe[str | None] = UNSET
    job_title: Maybe[str | None] = UNSET
    notes: Maybe[str | None] = UNSET
    company_id: Maybe[str | uuid.UUID | None] = UNSET
    company_name: Maybe[str | None] = UNSET
    owner_id: Maybe[str | uuid.UUID | None] = UNSET
    phones: Maybe[Sequence[PhoneInput] | None] = UNSET


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Which contacts a list holds; `None` does not filter."""

    text: str | None = None
    """Case-insensitive part of the first, last or full name, the email or the company's name."""
    owner_id: str | uuid.UUID | None = None
    company_id: str | uuid.UUID | None = None
    updated_since: datetime | None = None
    """Only contacts changed at or after this moment."""


class ContactService:
    """Create, change, delete, find and list contacts with their numbers."""

    def __init__(
        self, config: DomainConfig, companies: CompanyService, outbox: Outbox | None = None
    ) -> None:
        self._config = config
        self._companies = companies
        self._outbox = outbox or Outbox()

    async def get(self, contact_id: str | uuid.UUID, *, lock: bool = False) -> Contact:
        """The contact; with `lock`, its row stays locked until the caller's transaction ends."""
        contact = await queries.by_id(parse_id(contact_id, entity="contact"), lock=lock)
        return found(contact, contact_id, entity="contact")

    async def get_many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        """Contacts by id, for DataLoaders; an empty list costs no query."""
        return await queries.by_ids(ids)

    async def phones_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[PhoneNumber]]:
        """The numbers of each contact, in their given order."""
        return await phone_numbers.phones_by_owner(PhoneNumber.contact, ids)

    async def list(
        self,
        filter: ContactFilter | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Contact]:
        """Contacts in (updated_at, id) order, so that `updated_since` and cursors sync."""
        filter = filter or ContactFilter()
        request = page_request(limit, cursor, self._config)
        text = clean_text(filter.text, field="text", max_length=MAX_SEARCH_LENGTH)
        owner, company, since = filter.owner_id, filter.company_id, filter.updated_since
        return await queries.page(
            request,
            pattern=contains_pattern(text) if text is not None else None,
            owner=parse_id(owner, field="owner_id", entity="user") if owner is not None else None,
            company=(
                parse_id(company, field="company_id", entity="company")
                if company is not None
                else None
            ),
            since=clean_moment(since, field="updated_since") if since is not None else None,
        )

    async def pages_by_company(
        self,
        company_ids: Sequence[uuid.UUID],
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[uuid.UUID, Page[Contact]]:
        """One page of contacts for each company, in (updated_at, id) order; the same two
        queries whatever the number of companies."""
        request = page_request(limit, cursor, self._config)
        found = await queries.first_of_companies(company_ids, request)
        return {cid: page_of(rows, request.limit, updated_at_cursor) for cid, rows in found.items()}

    async def create(
        self, data: ContactInput, *, match_existing: bool = False
    ) -> tuple[Contact, bool]:
        """A new contact and `True`; with `match_existing`, the contact that already has
        one of the given numbers or the email, and `False`.
        """
        contact = Contact()
        phones = self._apply(contact, data)
        if not (contact.first_name or contact.last_name or contact.email or phones):
            raise ValidationFailed(EMPTY_CONTACT, field="first_name")
        async with transaction():
            if match_existing:
                # Two retries of one create may arrive together: the second waits
                # here until the first has committed, then finds its contact.
                matchable = self._matchable(phones or [])
                await lock_keys(identity_keys([p.national for p in matchable], contact.email))
                existing = await self._matching(phones or [], contact.email)
                if existing is not None:
                    return existing, False
            await self._link(contact, data)
            await save(contact)
            if phones:
                await phone_numbers.replace_phones(PhoneNumber.contact, contact.id, phones)
            await record_contact(self._outbox, WebhookEventType.CONTACT_CREATED, contact)
        return contact, True

    async def update(self, contact_id: str | uuid.UUID, data: ContactInput) -> Contact:
        """Change the given fields; only their columns are written, so simultaneous edits
        of different fields all stay.
        """
        async with transaction():
            contact = await self.get(contact_id, lock=True)
            phones = self._apply(contact, data)
            await self._refuse_emptying(contact, phones, data)
            await self._link(contact, data)
            contact.updated_at = now()
            await queries.save_changes(contact, given_fields(data))
            if phones is not None:
                await phone_numbers.replace_phones(PhoneNumber.contact, contact.id, phones)
            await record_contact(self._outbox, WebhookEventType.CONTACT_UPDATED, contact)
        return contact

    async def delete(self, contact_id: str | uuid.UUID) -> uuid.UUID:
        """Delete a contact and its numbers, and record the deletion for sync."""
        async with transaction():
            contact = await self.get(contact_id, lock=True)
            await record_contact(self._outbox, WebhookEventType.CONTACT_DELETED, contact)
            await phone_numbers.replace_phones(PhoneNumber.contact, contact.id, [])
            await queries.delete(contact.id)
            await record_deletion(DeletedKind.CONTACT, contact.id, now())
        return contact.id

    def _apply(self, contact: Contact, data: ContactInput) -> builtins.list[PhoneNumber] | None:
        """Check and copy the plain fields; return the checked numbers when given.

        Everything that needs no database is checked here, before any write.
        """
        if is_set(data.first_name):
            contact.first_name = (
                clean_text(data.first_name, field="first_name", max_length=100) or ""
            )
        if is_set(data.last_name):
            contact.last_name = clean_text(data.last_name, field="last_name", max_length=100) or ""
        if is_set(data.email):
            contact.email = clean_email(data.email)
        if is_set(data.job_title):
            contact.job_title = clean_text(data.job_title, field="job_title", max_length=200)
        if is_set(data.notes):
            contact.notes = clean_text(data.notes, field="notes", max_length=10_000)
        contact.search_text = contact_search_text(
            contact.first_name, contact.last_name, contact.email
        )
        if is_set(data.owner_id) and data.owner_id is not None:
            parse_id(data.owner_id, field="owner_id", entity="user")
        company_id_given = is_set(data.company_id) and data.company_id is not None
        if company_id_given:
            parse_id(data.company_id, field="company_id", entity="company")  # type: ignore[arg-type]
        if is_set(data.company_name):
            name = clean_text(
                data.company_name, field="company_name", max_length=MAX_COMPANY_NAME_LENGTH
            )
            if name is not None and company_id_given:
                raise ValidationFailed(
                    "give companyId or companyName, not both", field="company_name"
                )
        if not is_set(data.phones):
            return None
        return prepare_phones(
            data.phones or [], region=self._config.default_region, allowed=CONTACT_KINDS
        )

    async def _refuse_emptying(
        self, contact: Contact, phones: builtins.list[PhoneNumber] | None, data: ContactInput
    ) -> None:
        """Refuse an update that leaves no name, email or number, as a create would; the
        error names the first of those fields the update gives.
        """
        cleared = [name for name in given_fields(data) if name in _IDENTIFYING_FIELDS]
        if not cleared or contact.first_name or contact.last_name or contact.email:
            return
        if phones is None:
            has_phones = await phone_numbers.any_of_contact(contact.id)
        else:
            has_phones = bool(phones)
        if not has_phones:
            raise ValidationFailed(EMPTY_CONTACT, field=cleared[0])

    async def _link(self, contact: Contact, data: ContactInput) -> None:
        """Point the contact at its owner and company, which must exist (or be created by name)."""
        if is_set(data.company_id) and data.company_id is not None:
            company = await self._companies.get(data.company_id, field="company_id")
            contact.company = company.id
        elif is_set(data.company_name) and (data.company_name or "").strip():
            company = await self._companies.find_or_create(data.company_name or "")
            contact.company = company.id
        elif is_set(data.company_id) or is_set(data.company_name):
            contact.company = None
        if is_set(data.owner_id):
            contact.owner = await existing_user(data.owner_id)

    async def _matching(
        self, phones: builtins.list[PhoneNumber], email: str | None
    ) -> Contact | None:
        """The oldest contact with one of these numbers (by E.164, else national) or this email.

        An internal extension's digits are no one's own: they never match (as in lookup).
        """
        e164s = [phone.e164 for phone in phones if phone.e164]
        nationals = [
            phone.national for phone in self._matchable(phones) if not phone.e164 and phone.national
        ]
        found = await queries.oldest_with_numbers(e164s, nationals)
        if found is not None or email is None:
            return found
        return await queries.oldest_with_email(email)

    def _matchable(self, phones: builtins.list[PhoneNumber]) -> builtins.list[PhoneNumber]:
        """The numbers a duplicate check may match on: all but internal extensions."""
        most = self._config.internal_extension_max_digits
        return [p for p in phones if not is_internal_extension(p.e164, p.national, most)]


def identity_keys(nationals: Iterable[str], email: str | None) -> list[str]:
    """The lock keys of what `_matching` looks a contact up by: the national digits of its
    matchable numbers, and its email.

    A number is keyed by its national digits, which two numbers with the same
    E.164 form share, so both ways `_matching` compares numbers meet on one key.
    """
    keys = [f"contact-phone:{national}" for national in nationals]
    if email is not None:
        keys.append(f"contact-email:{email}")
    return keys
