"""Importing companies in bulk, as contacts are (`crm.domain.contact_import`).

A row whose name belongs to an existing company (in any case, as `find_or_create`
compares names), or to an earlier row, merges into it: its non-empty cells replace the
company's values and its numbers are added. No events, no webhooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm.domain.companies import MAX_ADDRESS_LENGTH, MAX_NAME_LENGTH
from crm.domain.config import DomainConfig
from crm.domain.csv_format import Columns
from crm.domain.errors import ValidationFailed
from crm.domain.phone_numbers import COMPANY_KINDS, CheckedPhone
from crm.domain.record_import import (
    ImportTotals,
    Rejected,
    Target,
    insert_added_phones,
    owned_rows,
    read_phones,
    rejected_for,
    too_many_cells,
    too_many_phones,
)
from crm.domain.search import fold
from crm.domain.validation import clean_email, clean_text, clean_url, now
from crm.queries import imports as queries
from crm.queries import phone_numbers
from crm.queries.companies import by_ids
from crm.queries.transactions import lock_tables_for_bulk_write, transaction
from crm.tables import Company, PhoneNumber

_COLUMNS = ("name", "website", "address", "owner")
MAX_WEBSITE_LENGTH = 255
"""`crm_company.website`'s length."""


@dataclass(slots=True)
class CompanyRecord:
    """One row, checked; `None` is an empty cell, which a merge leaves as it was."""

    line: int
    name: str
    website: str | None
    address: str | None
    owner_email: str | None
    phones: list[CheckedPhone]


def read_company(
    columns: Columns, line: int, cells: list[str], region: str
) -> CompanyRecord | Rejected:
    """One row (its line number and cells) checked, or rejected with the reason; plain data
    in and out, for worker processes (`read_all`)."""
    try:
        too_many_cells(columns, cells)
        name = clean_text(
            columns.cell(cells, "name"), field="name", max_length=MAX_NAME_LENGTH, required=True
        )
        return CompanyRecord(
            line=line,
            name=name or "",
            website=_website(columns.cell(cells, "website")),
            address=clean_text(
                columns.cell(cells, "address"), field="address", max_length=MAX_ADDRESS_LENGTH
            ),
            owner_email=clean_email(columns.cell(cells, "owner_email"), field="owner_email"),
            phones=read_phones(columns, cells, region, COMPANY_KINDS),
        )
    except ValidationFailed as exc:
        return rejected_for(line, exc)


class CompanyImport:
    """Writes the checked rows of one file, a batch per transaction, and counts them."""

    def __init__(self, config: DomainConfig) -> None:
        self._config = config
        self.totals = ImportTotals()

    async def write(self, records: Sequence[CompanyRecord | Rejected]) -> list[Rejected]:
        """Write one batch in one transaction; return the rows rejected, by line."""
        at = now()
        async with transaction():
            rows, owners, rejected = await owned_rows(records)
            await lock_tables_for_bulk_write("crm_company")
            targets = await _existing({fold(row.name) for row in rows})
            accepted = 0
            for row in rows:
                target = targets.get(fold(row.name))
                if target is None:
                    target = targets[fold(row.name)] = _new_target(row.name)
                if not target.add_phones(row.phones):
                    rejected.append(too_many_phones(row.line, "company"))
                    continue
                target.give(
                    {
                        "website": row.website,
                        "address": row.address,
                        "owner": owners[row.owner_email] if row.owner_email else None,
                    }
                )
                accepted += 1
            await _save(list(targets.values()), at)
        self.totals.count(targets.values(), accepted, len(rejected))
        return sorted(rejected, key=lambda r: r.line)


async def _existing(names: set[str]) -> dict[str, Target]:
    """The companies of these folded names already in the database, with their numbers."""
    ids = await queries.companies_by_folded_name(names)
    if not ids:
        return {}
    companies = await by_ids(list(ids.values()))
    numbers = await phone_numbers.phones_by_owner(PhoneNumber.company, list(ids.values()))
    return {
        folded: Target.stored(companies[cid], numbers.get(cid, []), _COLUMNS)
        for folded, cid in ids.items()
    }


def _website(text: str) -> str | None:
    """A website as the API takes it, refused when `https://` made it too long to store."""
    website = clean_url(text, field="website")
    if website is not None and len(website) > MAX_WEBSITE_LENGTH:
        raise ValidationFailed(f"must be at most {MAX_WEBSITE_LENGTH} characters", field="website")
    return website


def _new_target(name: str) -> Target:
    fields: dict[str, Any] = dict.fromkeys(_COLUMNS)
    fields["name"] = name
    return Target.new(fields)


async def _save(targets: Sequence[Target], at: datetime) -> None:
    new_rows = []
    for target in targets:
        f = target.fields
        if target.is_new:
            new_rows.append(
                (
                    target.id,
                    f["name"],
                    f["website"],
                    f["address"],
                    f["owner"],
                    at,
                    at,
                    fold(f["name"]),
                )
            )
        elif target.touched:
            await queries.update_company(target.id, {n: f[n] for n in target.changed}, at)
    await queries.insert_rows(Company, queries.COMPANY_COLUMNS, new_rows)
    await insert_added_phones(targets, at, of_company=True)
