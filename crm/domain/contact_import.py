"""Importing contacts in bulk: a file's rows checked, merged and written a batch at a time.

Each row is checked exactly as a contact created through the API is (`read_contacts`,
pure, so it can run in worker processes). A batch is then written in one transaction
(`ContactImport.write`): a row whose number or email belongs to an existing contact, or
to an earlier row, merges into it; the others become new contacts. Only the batch is in
memory: earlier batches are found in the database, where they already are.

A merge fills in what the row gives (its non-empty cells replace the contact's values)
and adds the numbers the contact does not have yet. A bulk import publishes no
per-contact events and queues no webhooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm.domain.companies import MAX_NAME_LENGTH as MAX_COMPANY_NAME_LENGTH
from crm.domain.config import DomainConfig
from crm.domain.contacts import EMPTY_CONTACT
from crm.domain.csv_format import Columns
from crm.domain.errors import ValidationFailed
from crm.domain.phone_normalization import is_internal_extension
from crm.domain.phone_numbers import CONTACT_KINDS, CheckedPhone
from crm.domain.record_import import (
    ImportTotals,
    Rejected,
    Target,
    companies_for,
    insert_added_phones,
    owned_rows,
    read_phones,
    rejected_for,
    too_many_cells,
    too_many_phones,
)
from crm.domain.search import contact_search_text, fold
from crm.domain.validation import clean_email, clean_text, now
from crm.queries import imports as queries
from crm.queries import phone_numbers
from crm.queries.contacts import by_ids
from crm.queries.transactions import lock_tables_for_bulk_write, transaction
from crm.tables import Contact, PhoneNumber

_TEXT_FIELDS = {"first_name": 100, "last_name": 100, "job_title": 200, "notes": 10_000}


@dataclass(slots=True)
class ContactRecord:
    """One row, checked; `None` is an empty cell, which a merge leaves as it was."""

    line: int
    first_name: str | None
    last_name: str | None
    email: str | None
    job_title: str | None
    notes: str | None
    company: str | None
    owner_email: str | None
    phones: list[CheckedPhone]


def read_contact(
    columns: Columns, line: int, cells: list[str], region: str
) -> ContactRecord | Rejected:
    """One row (its line number and cells) checked, or rejected with the reason; plain data
    in and out, for worker processes (`read_all`)."""
    try:
        too_many_cells(columns, cells)
        texts = {
            name: clean_text(columns.cell(cells, name), field=name, max_length=most)
            for name, most in _TEXT_FIELDS.items()
        }
        record = ContactRecord(
            line=line,
            first_name=texts["first_name"],
            last_name=texts["last_name"],
            email=clean_email(columns.cell(cells, "email")),
            job_title=texts["job_title"],
            notes=texts["notes"],
            company=clean_text(
                columns.cell(cells, "company"),
                field="company",
                max_length=MAX_COMPANY_NAME_LENGTH,
            ),
            owner_email=clean_email(columns.cell(cells, "owner_email"), field="owner_email"),
            phones=read_phones(columns, cells, region, CONTACT_KINDS),
        )
    except ValidationFailed as exc:
        return rejected_for(line, exc)
    if not (record.first_name or record.last_name or record.email or record.phones):
        return Rejected(line, EMPTY_CONTACT)
    return record


_COLUMNS = ("first_name", "last_name", "email", "job_title", "notes", "company", "owner")


@dataclass(slots=True)
class _Index:
    """What a batch has matched on so far: number and email keys to the contact they found."""

    e164: dict[str, Target] = field(default_factory=dict)
    national: dict[str, Target] = field(default_factory=dict)
    email: dict[str, Target] = field(default_factory=dict)

    def add(self, target: Target, phones: Sequence[CheckedPhone], email: str | None) -> None:
        for phone in phones:
            if phone.e164:
                self.e164.setdefault(phone.e164, target)
            self.national.setdefault(phone.national, target)
        if email is not None:
            self.email.setdefault(email, target)

    def by_phones(self, phones: Sequence[CheckedPhone]) -> Target | None:
        for phone in phones:
            found = self.e164.get(phone.e164) if phone.e164 else self.national.get(phone.national)
            if found is not None:
                return found
        return None


class ContactImport:
    """Writes the checked rows of one file, a batch per transaction, and counts them."""

    def __init__(self, config: DomainConfig) -> None:
        self._config = config
        self.totals = ImportTotals()

    async def write(self, records: Sequence[ContactRecord | Rejected]) -> list[Rejected]:
        """Write one batch in one transaction; return the rows rejected, by line: those
        that could not be read, and those refused here (an unknown owner, too many numbers)."""
        at = now()
        async with transaction():
            rows, owners, rejected = await owned_rows(records)
            # Companies first: the order the API's writes take them in (a contact's company
            # is found or created before the contact), so the two never wait on each other.
            await lock_tables_for_bulk_write("crm_company", "crm_contact")
            accepted, too_many = await self._match(rows)
            rejected += too_many
            companies = await companies_for([r.company for _, r in accepted if r.company], at)
            for target, row in accepted:
                target.give(_given(row, owners, companies))
            targets = list({t.id: t for t, _ in accepted}.values())
            await _save(targets, at)
        self.totals.count(targets, len(accepted), len(rejected))
        return sorted(rejected, key=lambda r: r.line)

    def _matchable(self, phones: Sequence[CheckedPhone]) -> list[CheckedPhone]:
        most = self._config.internal_extension_max_digits
        return [p for p in phones if not is_internal_extension(p.e164, p.national, most)]

    async def _match(
        self, rows: Sequence[ContactRecord]
    ) -> tuple[list[tuple[Target, ContactRecord]], list[Rejected]]:
        """Each row with the contact it goes to, as `ContactService.create(match_existing)`
        finds one: the oldest with one of its numbers (by E.164, else national digits),
        else with its email; a contact of this batch when the database has none."""
        matchable = {row.line: self._matchable(row.phones) for row in rows}
        found = await _existing(rows, matchable)
        index = _Index()
        accepted: list[tuple[Target, ContactRecord]] = []
        rejected: list[Rejected] = []
        for row in rows:
            phones = matchable[row.line]
            target = (
                found.by_phones(phones)
                or index.by_phones(phones)
                or found.by_email(row.email)
                or (index.email.get(row.email) if row.email else None)
                or _new_target()
            )
            if not target.add_phones(row.phones):
                rejected.append(too_many_phones(row.line, "contact"))
                continue
            index.add(target, self._matchable(target.phones), row.email)
            accepted.append((target, row))
        return accepted, rejected


class _Existing:
    """The contacts already in the database that a batch's numbers and emails belong to."""

    def __init__(self) -> None:
        self.e164: dict[str, list[tuple[datetime, uuid.UUID]]] = {}
        self.national: dict[str, list[tuple[datetime, uuid.UUID]]] = {}
        self.email: dict[str, list[tuple[datetime, uuid.UUID]]] = {}
        self.targets: dict[uuid.UUID, Target] = {}

    def by_phones(self, phones: Sequence[CheckedPhone]) -> Target | None:
        """The oldest contact with one of these numbers."""
        candidates: list[tuple[datetime, uuid.UUID]] = []
        for phone in phones:
            if phone.e164:
                candidates += self.e164.get(phone.e164, [])
            else:
                candidates += self.national.get(phone.national, [])
        return self.targets[min(candidates)[1]] if candidates else None

    def by_email(self, email: str | None) -> Target | None:
        candidates = self.email.get(email, []) if email else []
        return self.targets[min(candidates)[1]] if candidates else None


async def _existing(
    rows: Sequence[ContactRecord], matchable: dict[int, list[CheckedPhone]]
) -> _Existing:
    """The batch's matches in the database, each contact loaded once with its numbers."""
    e164s = {p.e164 for phones in matchable.values() for p in phones if p.e164}
    nationals = {p.national for phones in matchable.values() for p in phones if not p.e164}
    emails = {row.email for row in rows if row.email}
    found = _Existing()
    for number in await queries.contact_numbers_matching(e164s, nationals):
        key = (number["created"], number["contact"])
        if number["e164"] in e164s:
            found.e164.setdefault(number["e164"], []).append(key)
        if number["national"] in nationals:
            found.national.setdefault(number["national"], []).append(key)
    for contact in await queries.contacts_with_emails(emails):
        found.email.setdefault(contact["email"], []).append((contact["created_at"], contact["id"]))
    ids = {
        key[1]
        for keys in (found.e164, found.national, found.email)
        for k in keys.values()
        for key in k
    }
    if not ids:
        return found
    contacts = await by_ids(list(ids))
    numbers = await phone_numbers.phones_by_owner(PhoneNumber.contact, list(ids))
    for contact_id, row in contacts.items():
        found.targets[contact_id] = Target.stored(row, numbers.get(contact_id, []), _COLUMNS)
    return found


def _new_target() -> Target:
    fields: dict[str, Any] = dict.fromkeys(_COLUMNS)
    fields.update(first_name="", last_name="")
    return Target.new(fields)


def _given(
    row: ContactRecord, owners: dict[str, uuid.UUID], companies: dict[str, uuid.UUID]
) -> dict[str, Any]:
    """The row's values by column; `None` where its cell is empty."""
    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "job_title": row.job_title,
        "notes": row.notes,
        "company": companies[fold(row.company)] if row.company else None,
        "owner": owners[row.owner_email] if row.owner_email else None,
    }


async def _save(targets: Sequence[Target], at: datetime) -> None:
    """Insert the new contacts and every added number; update the merged contacts."""
    new_contacts = []
    for target in targets:
        f = target.fields
        search = contact_search_text(f["first_name"], f["last_name"], f["email"])
        if target.is_new:
            new_contacts.append(
                (
                    target.id,
                    f["first_name"],
                    f["last_name"],
                    f["email"],
                    f["job_title"],
                    f["company"],
                    f["owner"],
                    f["notes"],
                    at,
                    at,
                    search,
                )
            )
        elif target.touched:
            values = {name: f[name] for name in target.changed}
            values["search_text"] = search
            await queries.update_contact(target.id, values, at)
    await queries.insert_rows(Contact, queries.CONTACT_COLUMNS, new_contacts)
    await insert_added_phones(targets, at)
