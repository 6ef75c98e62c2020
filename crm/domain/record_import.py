"""What the imports of contacts and of companies share: a rejected row, the checks of a
row's cells and numbers, owners by email, companies found or created by name, and the
numbers' rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from uuid6 import uuid7

from crm.domain.csv_format import Columns
from crm.domain.errors import ValidationFailed
from crm.domain.phone_numbers import MAX_PHONES, CheckedPhone, PhoneInput, PhoneKind, check_phones
from crm.domain.search import fold
from crm.queries import imports as queries
from crm.tables import Company, Contact, PhoneNumber


def new_id() -> uuid.UUID:
    """An id for an imported row: time-ordered (UUIDv7), so that an export, in id order,
    lists a file's records in the order of its rows, and a round trip keeps it."""
    return uuid.UUID(int=uuid7().int)  # a plain UUID: SQLite's adapter knows no subclass


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row left out, with its line in the file and why."""

    line: int
    reason: str


@dataclass
class ImportTotals:
    """What an import did so far: records created, rows merged into one, rows rejected."""

    imported: int = 0
    merged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"imported": self.imported, "merged": self.merged, "rejected": self.rejected}

    def count(self, targets: Iterable[Target], accepted: int, rejected: int) -> None:
        """Count a written batch: its records' new ones, its rows accepted and rejected."""
        created = sum(1 for target in targets if target.is_new)
        self.imported += created
        self.merged += accepted - created
        self.rejected += rejected


@dataclass(slots=True)
class Target:
    """A record a batch writes: a new one, or a stored one it merges rows into."""

    id: uuid.UUID
    is_new: bool
    fields: dict[str, Any]
    """Its values by column, as they will be written."""
    changed: set[str] = field(default_factory=set)
    phones: list[CheckedPhone] = field(default_factory=list)
    """Its numbers: a stored record's first, then those the batch adds."""
    first_added: int = 0
    """Where in `phones` the numbers to insert begin."""
    next_position: int = 0

    @classmethod
    def new(cls, fields: dict[str, Any]) -> Target:
        return cls(id=new_id(), is_new=True, fields=fields)

    @classmethod
    def stored(
        cls, row: Contact | Company, numbers: Sequence[PhoneNumber], columns: Sequence[str]
    ) -> Target:
        """A record of the database (a contact, a company) with its numbers, in order."""
        phones = checked_phones_of(numbers)
        return cls(
            id=row.id,
            is_new=False,
            fields={name: getattr(row, name) for name in columns},
            phones=phones,
            first_added=len(phones),
            next_position=max((n.position for n in numbers), default=-1) + 1,
        )

    def add_phones(self, phones: Sequence[CheckedPhone]) -> bool:
        """Add the numbers it does not have yet; `False` (and nothing added) when it would
        have more than `MAX_PHONES`."""
        known = {phone.key for phone in self.phones}
        added = [phone for phone in phones if phone.key not in known]
        if len(self.phones) + len(added) > MAX_PHONES:
            return False
        self.phones += added
        return True

    def give(self, values: dict[str, Any]) -> None:
        """A row's non-empty cells, written over the record's values."""
        for name, value in values.items():
            if value is not None and self.fields[name] != value:
                self.fields[name] = value
                self.changed.add(name)

    @property
    def touched(self) -> bool:
        """Whether a stored record has anything to write: a field or a number."""
        return bool(self.changed) or len(self.phones) > self.first_added

    def added_phone_rows(self, at: datetime, *, of_company: bool = False) -> list[tuple[Any, ...]]:
        """Rows of `crm_phone_number` (`queries.PHONE_COLUMNS`) for the numbers added."""
        contact, company = (None, self.id) if of_company else (self.id, None)
        return [
            (
                new_id(),
                contact,
                company,
                phone.kind.value,
                phone.number,
                phone.e164,
                phone.national,
                phone.suffix,
                phone.extension,
                self.next_position + offset,
                at,
            )
            for offset, phone in enumerate(self.phones[self.first_added :])
        ]


async def insert_added_phones(
    targets: Iterable[Target], at: datetime, *, of_company: bool = False
) -> None:
    """Insert every number the batch added to its records."""
    await queries.insert_rows(
        PhoneNumber,
        queries.PHONE_COLUMNS,
        [row for t in targets for row in t.added_phone_rows(at, of_company=of_company)],
    )


def too_many_phones(line: int, noun: str) -> Rejected:
    return Rejected(line, f"phones: the {noun} would have more than {MAX_PHONES} numbers")


class Owned(Protocol):
    """A checked row that may name its owner by email."""

    @property
    def line(self) -> int: ...

    @property
    def owner_email(self) -> str | None: ...


def rejected_for(line: int, exc: ValidationFailed) -> Rejected:
    """The row rejected for a failed check, the reason naming the column."""
    return Rejected(line, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def checked_phones_of(numbers: Sequence[PhoneNumber]) -> list[CheckedPhone]:
    """An owner's stored numbers, as the checked numbers a merge compares rows' with."""
    return [
        CheckedPhone(
            kind=PhoneKind(number.kind),
            number=number.number,
            e164=number.e164,
            national=number.national or "",
            suffix=number.suffix or "",
            extension=number.extension,
        )
        for number in numbers
    ]


R = TypeVar("R", bound=Owned)


def too_many_cells(columns: Columns, cells: Sequence[str]) -> None:
    """Refuse a row with text beyond the header's columns (fewer cells are empty ones)."""
    extra = cells[len(columns.names) :]
    if any(cell.strip() for cell in extra):
        raise ValidationFailed(
            f"{len(cells)} fields, but the header has {len(columns.names)}", field="row"
        )


def read_phones(
    columns: Columns, cells: Sequence[str], region: str, kinds: frozenset[PhoneKind]
) -> list[CheckedPhone]:
    """The row's numbers in column order, checked as the API checks a list of them; an error
    names the column."""
    given = [
        (columns.names[index], kind, columns.cell_at(cells, index))
        for index, kind in columns.phones
    ]
    given = [(name, kind, text) for name, kind, text in given if text.strip()]
    return check_phones(
        [PhoneInput(number=text, kind=kind) for _, kind, text in given],
        region=region,
        allowed=kinds,
        field="phones",
        number_fields=[name for name, _, _ in given],
    )


def read_all(
    read_one: Callable[[Columns, int, list[str], str], R | Rejected],
    columns: Columns,
    rows: Sequence[tuple[int, list[str]]],
    region: str,
) -> list[R | Rejected]:
    """Each row (its line number and cells) checked by `read_one`, or rejected with the reason."""
    return [read_one(columns, line, cells, region) for line, cells in rows]


async def owned_rows(
    records: Sequence[R | Rejected],
) -> tuple[list[R], dict[str, uuid.UUID], list[Rejected]]:
    """A batch's checked rows whose owner (if they name one) is a user, those owners by email,
    and the rows rejected: unreadable, or naming no user."""
    rejected = [r for r in records if isinstance(r, Rejected)]
    rows = [r for r in records if not isinstance(r, Rejected)]
    owners = await queries.users_by_email(r.owner_email for r in rows if r.owner_email)
    rejected += [
        Rejected(row.line, f"owner_email: no user with email {row.owner_email!r}")
        for row in rows
        if row.owner_email is not None and row.owner_email not in owners
    ]
    rows = [row for row in rows if row.owner_email is None or row.owner_email in owners]
    return rows, owners, rejected


async def companies_for(names: Iterable[str], at: datetime) -> dict[str, uuid.UUID]:
    """The company of each name, by folded name: the oldest with that name in any case, or
    one created (as `CompanyService.find_or_create`); the caller holds the companies table."""
    spelled: dict[str, str] = {}
    for name in names:
        spelled.setdefault(fold(name), name)
    if not spelled:
        return {}
    found = await queries.companies_by_folded_name(spelled)
    missing = [(folded, name) for folded, name in spelled.items() if folded not in found]
    created = {folded: new_id() for folded, _ in missing}
    await queries.insert_rows(
        Company,
        queries.COMPANY_COLUMNS,
        [(created[f], name, None, None, None, at, at, f) for f, name in missing],
    )
    return {**found, **created}
