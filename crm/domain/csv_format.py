"""The CSV format of `crm import` and `crm export`: the columns of a header, and the guard
that keeps a cell from running as a spreadsheet formula.

A header names its columns case-insensitively, in any order. Besides the fields of the
record, any number of phone columns: `phone` (a contact's work number, a company's main
line) or `phone_<kind>`, repeated for several numbers of one kind. Export writes the same
columns, so an exported file imports back as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm.domain.errors import ValidationFailed
from crm.domain.phone_numbers import COMPANY_KINDS, CONTACT_KINDS, PhoneKind

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "job_title",
    "owner_email",
    "notes",
)
COMPANY_FIELDS = ("name", "website", "address", "owner_email")

PHONE_KIND_ORDER = (
    PhoneKind.MAIN,
    PhoneKind.WORK,
    PhoneKind.MOBILE,
    PhoneKind.HOME,
    PhoneKind.FAX,
    PhoneKind.OTHER,
)
"""The order export writes phone columns in, and so the order of numbers after a round trip."""

# What a spreadsheet takes for the start of a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GUARD = "'"


@dataclass(frozen=True, slots=True)
class RecordFormat:
    """The columns one kind of record may have in a file."""

    noun: str
    fields: tuple[str, ...]
    name_fields: tuple[str, ...]
    """At least one of these must be a column: a record without a name is no record."""
    kinds: frozenset[PhoneKind]
    plain_phone_kind: PhoneKind
    """The kind of a number in a column named just `phone`."""


CONTACTS = RecordFormat(
    noun="contacts",
    fields=CONTACT_FIELDS,
    name_fields=("first_name", "last_name"),
    kinds=CONTACT_KINDS,
    plain_phone_kind=PhoneKind.WORK,
)
COMPANIES = RecordFormat(
    noun="companies",
    fields=COMPANY_FIELDS,
    name_fields=("name",),
    kinds=COMPANY_KINDS,
    plain_phone_kind=PhoneKind.MAIN,
)


@dataclass(frozen=True, slots=True)
class Columns:
    """A header read: where each field is, and each phone column with its kind."""

    names: tuple[str, ...]
    """The header's column names, folded to lower case and trimmed."""
    fields: dict[str, int]
    phones: tuple[tuple[int, PhoneKind], ...]

    def cell(self, cells: Sequence[str], field: str) -> str:
        """The field's cell of a row, unguarded; empty when the column or the cell is missing."""
        index = self.fields.get(field)
        return "" if index is None else self.cell_at(cells, index)

    def cell_at(self, cells: Sequence[str], index: int) -> str:
        """The cell of column `index`, unguarded; empty when the row is shorter."""
        return unguard(cells[index]) if index < len(cells) else ""


def read_header(cells: Sequence[str], form: RecordFormat) -> Columns:
    """The columns of a header row, or `ValidationFailed` naming the column that is wrong:
    unknown, given twice, or no name column at all."""
    names = tuple(cell.strip().lower().lstrip("\ufeff") for cell in cells)
    fields: dict[str, int] = {}
    phones: list[tuple[int, PhoneKind]] = []
    for index, name in enumerate(names):
        kind = phone_kind_of(name, form)
        if kind is not None:
            phones.append((index, kind))
        elif name in form.fields:
            if name in fields:
                raise ValidationFailed(f"column {name!r} is given twice", field="header")
            fields[name] = index
        else:
            raise ValidationFailed(
                f"unknown column {cells[index]!r} (expected {', '.join(form.fields)},"
                f" phone or phone_<kind>: {', '.join(k.value for k in _ordered(form.kinds))})",
                field="header",
            )
    if not any(name in fields for name in form.name_fields):
        raise ValidationFailed(
            f"no name column: {form.noun} need {' or '.join(form.name_fields)}", field="header"
        )
    return Columns(names=names, fields=fields, phones=tuple(phones))


def phone_kind_of(name: str, form: RecordFormat) -> PhoneKind | None:
    """The kind of number a column holds, `None` when it is no phone column."""
    if name == "phone":
        return form.plain_phone_kind
    if not name.startswith("phone_"):
        return None
    try:
        kind = PhoneKind(name.removeprefix("phone_"))
    except ValueError:
        return None
    return kind if kind in form.kinds else None


def phone_header(counts: dict[PhoneKind, int]) -> list[str]:
    """Phone columns for at most `counts[kind]` numbers of each kind, in `PHONE_KIND_ORDER`."""
    return [f"phone_{kind.value}" for kind in PHONE_KIND_ORDER for _ in range(counts.get(kind, 0))]


def guard(text: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula (`=cmd|...`) gets
    a leading apostrophe, which `unguard` takes off again on import."""
    return _GUARD + text if text.startswith(_FORMULA_START) else text


def unguard(text: str) -> str:
    """A cell as it was before `guard` (or a spreadsheet) put an apostrophe before a formula
    character."""
    if text.startswith(_GUARD) and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def _ordered(kinds: frozenset[PhoneKind]) -> list[PhoneKind]:
    return [kind for kind in PHONE_KIND_ORDER if kind in kinds]
