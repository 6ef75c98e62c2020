"""Phone numbers in GraphQL: the type, its kind and the input, shared by contacts and companies."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from crm.domain import phone_numbers
from crm.domain.phone_numbers import PhoneKind as PhoneKind
from crm.domain.unset import UNSET, Maybe
from crm.tables import PhoneNumber as PhoneNumberRow

# The domain's enum is the GraphQL enum: its member names are the GraphQL values.
strawberry.enum(
    PhoneKind, name="PhoneKind", description="What a number is for; MAIN is a company's main line."
)


@strawberry.type(name="PhoneNumber")
class PhoneNumberType:
    """One number of a contact or a company."""

    id: strawberry.ID
    number: str = strawberry.field(description="As entered.")
    e164: str | None = strawberry.field(
        description="International form (+4930...), when the country is known."
    )
    national: str = strawberry.field(description="National significant number, digits only.")
    kind: PhoneKind
    extension: str | None

    @classmethod
    def from_row(cls, row: PhoneNumberRow) -> PhoneNumberType:
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            e164=row.e164,
            national=row.national or "",
            kind=PhoneKind(row.kind),
            extension=row.extension,
        )


@strawberry.input(name="PhoneInput")
class PhoneInput:
    """A number in any usual notation (+, 00, national, with an extension such as x123)."""

    number: str
    kind: PhoneKind | None = PhoneKind.WORK


def phone_inputs(
    phones: Maybe[Sequence[PhoneInput] | None],
) -> Maybe[list[phone_numbers.PhoneInput] | None]:
    """The domain's form of a given phones list; left out stays unset."""
    if phones is UNSET or phones is None:
        return phones
    return [phone_numbers.PhoneInput(number=phone.number, kind=phone.kind) for phone in phones]


def phone_types(rows: list[PhoneNumberRow] | None) -> list[PhoneNumberType]:
    return [PhoneNumberType.from_row(row) for row in rows or []]
