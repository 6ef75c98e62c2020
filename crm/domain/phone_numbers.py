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


@dataclass(frozen=True, slots=True)
class CheckedPhone:
    """A number that passed `check_phones`: its kind, the input and the keys it is indexed
    under; plain data, so that it crosses to a worker process and back cheaply."""

    kind: PhoneKind
    number: str
    e164: str | None
    national: str
    suffix: str
    extension: str | None

    @property
    def key(self) -> tuple[str, str | None]:
        """What makes two numbers of one owner the same number."""
        return (self.e164 or self.national, self.extension)


def check_phones(
    phones: Sequence[PhoneInput],
    *,
    region: str,
    allowed: frozenset[PhoneKind],
    field: str = "phones",
    number_fields: Sequence[str] | None = None,
) -> list[CheckedPhone]:
    """The numbers normalised, or `ValidationFailed` naming e.g. `phones.1.number`: too many,
    a kind not `allowed`, no number, or one number given twice. `number_fields` names each
    number's field instead (a file's column)."""
    if len(phones) > MAX_PHONES:
        raise ValidationFailed(f"at most {MAX_PHONES} numbers", field=field)
    checked: list[CheckedPhone] = []
    seen: set[tuple[str, str | None]] = set()
    for position, phone in enumerate(phones):
        where = f"{field}.{position}"
        kind = _kind(phone.kind, allowed, field=f"{where}.kind")
        number_field = number_fields[position] if number_fields else f"{where}.number"
        normalized = normalize_stored(phone.number, region, field=number_field)
        one = CheckedPhone(
            kind=kind,
            number=normalized.raw,
            e164=normalized.e164,
            national=normalized.national,
            suffix=normalized.suffix,
            extension=normalized.extension,
        )
        if one.key in seen:
            raise ValidationFailed(f"{phone.number!r} is given twice", field=number_field)
        seen.add(one.key)
        checked.append(one)
    return checked


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
    return [
        PhoneNumber(
            kind=phone.kind.value,
            number=phone.number,
            e164=phone.e164,
            national=phone.national,
            suffix=phone.suffix,
            extension=phone.extension,
            position=position,
        )
        for position, phone in enumerate(
            check_phones(phones, region=region, allowed=allowed, field=field)
        )
    ]


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
