"""The phone numbers of contacts and companies: kinds, and the check of a given list.

Both owners keep their numbers as `PhoneNumber` rows; a given list replaces the
owner's numbers wholesale (`crm.queries.phone_numbers`), in the order given, inside
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from crm.domain.errors import ValidationFailed
from crm.domain.phone_normalization import normalize_stored
from crm.domain.validation import not_null
from crm.tables import PhoneNumber

MAX_PHONES = 20
"""Numbers one contact or company may have; more is a mistake, not a phone book."""


class PhoneKind(StrEnum):
    """What a number is for; `main` is a company's main line."""

    WORK = "work"
    MOBILE = "mobile"
    HOME = "home"
    OTHER = "other"
    FAX = "fax"
    MAIN = "main"


CONTACT_KINDS = frozenset(PhoneKind) - {PhoneKind.MAIN}
COMPANY_KINDS = frozenset(PhoneKind)


@dataclass(frozen=True, slots=True)
class PhoneInput:
    """A number as a client gave it, with its kind."""

    number: str
    kind: PhoneKind | str | None = PhoneKind.WORK
    """`None` (a client's explicit null) is refused: a number always has a kind."""


def prepare_phones(
    phones: Sequence[PhoneInput],
    *,
    region: str,
    allowed: frozenset[PhoneKind],
    field: str = "phones",
) -> list[PhoneNumber]:
    """Unsaved rows for `phones`, or `ValidationFailed` naming e.g. `phones.1.number`.

    Checks everything before anything is written, so a bad number in the list
    leaves the owner's numbers as they were.
    """
    if len(phones) > MAX_PHONES:
        raise ValidationFailed(f"at most {MAX_PHONES} numbers", field=field)
    rows: list[PhoneNumber] = []
    seen: set[tuple[str, str | None]] = set()
    for position, phone in enumerate(phones):
        where = f"{field}.{position}"
        kind = _kind(phone.kind, allowed, field=f"{where}.kind")
        normalized = normalize_stored(phone.number, region, field=f"{where}.number")
        key = (normalized.e164 or normalized.national, normalized.extension)
        if key in seen:
            raise ValidationFailed(f"{phone.number!r} is given twice", field=f"{where}.number")
        seen.add(key)
        rows.append(
            PhoneNumber(
                kind=kind.value,
                number=normalized.raw,
                e164=normalized.e164,
                national=normalized.national,
                suffix=normalized.suffix,
                extension=normalized.extension,
                position=position,
            )
        )
    return rows


def _kind(value: PhoneKind | str | None, allowed: frozenset[PhoneKind], *, field: str) -> PhoneKind:
    try:
        kind = PhoneKind(str(not_null(value, field=field)).lower())
    except ValueError:
        raise ValidationFailed(
            f"{value!r} is not a kind of number ({', '.join(sorted(allowed))})", field=field
        ) from None
    if kind not in allowed:
        raise ValidationFailed(f"{kind.value!r} is a company's main line only", field=field)
    return kind
