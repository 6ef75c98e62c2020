"""Exporting contacts and companies to rows of the import format (`crm.domain.csv_format`),
a page at a time, so that memory does not grow with the database.

Every text cell is guarded against running as a spreadsheet formula; numbers are written
as they were entered (they hold no formula: `normalize` refuses anything but digits,
separators and an extension), so an exported file imports back as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from crm.domain.csv_format import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    PHONE_KIND_ORDER,
    guard,
    phone_header,
)
from crm.domain.phone_numbers import PhoneKind
from crm.queries import exports as queries
from crm.queries.phone_numbers import phones_by_owner
from crm.tables import Company, Contact, PhoneNumber, User

PAGE_SIZE = 1000


async def contact_rows(page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
    """The header, then one row per contact, in id order."""
    async for row in _rows(Contact, PhoneNumber.contact, CONTACT_FIELDS, _contact_cells, page_size):
        yield row


async def company_rows(page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
    """The header, then one row per company, in id order."""
    async for row in _rows(Company, PhoneNumber.company, COMPANY_FIELDS, _company_cells, page_size):
        yield row


async def _contact_cells(page: Sequence[Contact]) -> list[dict[str, str | None]]:
    companies = await queries.values_by_id(Company.name, (row.company for row in page))
    owners = await queries.values_by_id(User.email, (row.owner for row in page))
    return [
        {
            "first_name": row.first_name,
            "last_name": row.last_name,
            "email": row.email,
            "company": companies.get(row.company),
            "job_title": row.job_title,
            "owner_email": owners.get(row.owner),
            "notes": row.notes,
        }
        for row in page
    ]


async def _company_cells(page: Sequence[Company]) -> list[dict[str, str | None]]:
    owners = await queries.values_by_id(User.email, (row.owner for row in page))
    return [
        {
            "name": row.name,
            "website": row.website,
            "address": row.address,
            "owner_email": owners.get(row.owner),
        }
        for row in page
    ]


async def _rows(
    table: type[Any],
    owner: queries.OwnerColumn,
    fields: Sequence[str],
    cells_of: Callable[[Sequence[Any]], Awaitable[list[dict[str, str | None]]]],
    page_size: int,
) -> AsyncIterator[list[str]]:
    """The header, then a row per record of `table` with its numbers, a page at a time."""
    kinds = await _kinds(owner)
    yield [*fields, *phone_header(kinds)]
    after = None
    while page := await queries.page_after(table, after, page_size):
        after = page[-1].id
        phones = await phones_by_owner(owner, [row.id for row in page])
        for row, cells in zip(page, await cells_of(page), strict=True):
            yield [guard(cells[name] or "") for name in fields] + _phone_cells(
                phones[row.id], kinds
            )


async def _kinds(owner: queries.OwnerColumn) -> dict[PhoneKind, int]:
    return {PhoneKind(kind): n for kind, n in (await queries.most_numbers_per_kind(owner)).items()}


def _phone_cells(phones: Sequence[PhoneNumber], kinds: dict[PhoneKind, int]) -> list[str]:
    """The numbers in the columns of `phone_header(kinds)`: by kind, each kind in order."""
    cells: list[str] = []
    for kind in PHONE_KIND_ORDER:
        of_kind = [phone.number for phone in phones if phone.kind == kind.value]
        slots = kinds.get(kind, 0)
        cells += of_kind + [""] * (slots - len(of_kind))
    return cells
