"""The statements of `crm.domain.contacts` (and the contact writes a company's change makes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from piccolo.columns.combination import Or, Where, WhereRaw

from crm.domain.pagination import Page, PageRequest, updated_at_cursor
from crm.queries.paging import first_rows_per_owner, keyset_page
from crm.queries.rows import ById, ChangedColumns, oldest
from crm.tables import Contact, PhoneNumber

_by_id = ById(Contact)
by_id = _by_id.by_id
by_ids = _by_id.by_ids
delete = _by_id.delete

# The company's name is a subquery, so the filter needs no join, and a renamed
# company is found by its new name at once. In brackets: Piccolo joins raw conditions
# with AND as they are, and an OR left bare would escape the cursor's condition.
_TEXT_MATCH = (
    "(crm_contact.search_text LIKE {} ESCAPE '\\'"
    " OR crm_contact.company IN"
    " (SELECT id FROM crm_company WHERE crm_company.search_text LIKE {} ESCAPE '\\'))"
)


async def page(
    request: PageRequest,
    *,
    pattern: str | None,
    owner: uuid.UUID | None,
    company: uuid.UUID | None,
    since: datetime | None,
) -> Page[Contact]:
    """Contacts in (updated_at, id) order: whose folded text or company's name is
    `LIKE pattern`, of `owner`, of `company`, changed at or after `since`."""
    query = Contact.objects()
    if pattern is not None:
        query = query.where(WhereRaw(_TEXT_MATCH, pattern, pattern))
    if owner is not None:
        query = query.where(Contact.owner == owner)
    if company is not None:
        query = query.where(Contact.company == company)
    if since is not None:
        query = query.where(Contact.updated_at >= since)
    return await keyset_page(
        query, request, sort=Contact.updated_at, id_column=Contact.id, cursor_of=updated_at_cursor
    )


async def first_of_companies(
    company_ids: Sequence[uuid.UUID], request: PageRequest
) -> dict[uuid.UUID, list[Contact]]:
    """Each company's first `limit + 1` contacts in (updated_at, id) order after the cursor."""
    return await first_rows_per_owner(
        Contact, Contact.company, company_ids, request, sort=Contact.updated_at
    )


save_changes = ChangedColumns(
    always=(Contact.updated_at, Contact.search_text),
    writes=(Contact.first_name, Contact.last_name, Contact.email, Contact.job_title, Contact.notes),
    company_id=Contact.company,
    company_name=Contact.company,
    owner_id=Contact.owner,
).save
"""Write a changed contact: its time, its search text and the columns of the given fields."""


async def oldest_with_numbers(e164s: Sequence[str], nationals: Sequence[str]) -> Contact | None:
    """The oldest contact with a number whose E.164 form is one of `e164s`, or whose national
    digits are one of `nationals`; `None` without either."""
    by_phone: Where | Or | None = None
    if e164s:
        by_phone = PhoneNumber.e164.is_in(list(e164s))
    if nationals:
        national = PhoneNumber.national.is_in(list(nationals))
        by_phone = national if by_phone is None else by_phone | national
    if by_phone is None:
        return None
    owners = PhoneNumber.select(PhoneNumber.contact).where(
        PhoneNumber.contact.is_not_null() & by_phone
    )
    return await oldest(Contact, Contact.id.is_in(owners))


async def oldest_with_email(email: str) -> Contact | None:
    return await oldest(Contact, Contact.email == email)


async def touch_of_company(company_id: uuid.UUID, at: datetime) -> None:
    """Move the `updated_at` of the company's contacts to `at`, so a sync sees them change."""
    await Contact.update({Contact.updated_at: at}).where(Contact.company == company_id)


async def detach_from_company(company_id: uuid.UUID, at: datetime) -> None:
    """Take the company's contacts out of it, as changed at `at`."""
    await Contact.update({Contact.company: None, Contact.updated_at: at}).where(
        Contact.company == company_id
    )


async def ids_of_company(company_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the company's contacts."""
    rows = await Contact.select(Contact.id).where(Contact.company == company_id)
    return [row["id"] for row in rows]
