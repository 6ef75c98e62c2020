"""Caller identification in GraphQL: `lookupContacts(phone)` and its `PhoneMatch` type."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm.domain.lookup import PhoneMatch
from crm.graphql.context import Info
from crm.graphql.loaders import Soon, resolve_soon
from crm.graphql.permissions import CanRead
from crm.graphql.phone_numbers import PhoneKind

if TYPE_CHECKING:
    from crm.graphql.companies import CompanyType
    from crm.graphql.contacts import ContactType


@strawberry.enum(name="PhoneMatchEntity", description="What a matched number belongs to.")
class PhoneMatchEntity(Enum):
    CONTACT = "contact"
    COMPANY = "company"


@strawberry.enum(
    name="PhoneMatchTier",
    description="Why a number matched, best first: the whole international number, "
    "its national digits, or only its trailing digits.",
)
class PhoneMatchTier(Enum):
    E164 = "e164"
    NATIONAL = "national"
    SUFFIX = "suffix"


@strawberry.type(name="PhoneMatch")
class PhoneMatchType:
    """One contact or company a number belongs to, and why it matched."""

    entity: PhoneMatchEntity
    contact: Annotated[ContactType, strawberry.lazy("crm.graphql.contacts")] | None
    company: Annotated[CompanyType, strawberry.lazy("crm.graphql.companies")] | None = (
        strawberry.field(
            description="The matched company; for a contact, its company (whose main line "
            "it is, when `mainLine`)."
        )
    )
    match: PhoneMatchTier
    number: str = strawberry.field(description="The stored number that matched, as entered.")
    kind: PhoneKind
    main_line: bool = strawberry.field(
        description="The number is a company's main line, shared with its contacts."
    )

    shared: strawberry.Private[bool] = False
    e164: strawberry.Private[str | None] = None

    @strawberry.field(
        description="For a company's main line that none of its contacts share: the "
        "company's contacts (its staff), at most `first`, since a call from the line is one "
        "of them; the one who called from that line most recently first, then by latest "
        "call. Empty for any other match (contacts who share a line follow it as matches).",
        graphql_type=list[Annotated["ContactType", strawberry.lazy("crm.graphql.contacts")]],
    )
    def staff(self, info: Info, first: int = 25) -> Soon[list[ContactType]]:
        from crm.graphql.contacts import ContactType

        if self.entity is not PhoneMatchEntity.COMPANY or not self.main_line or self.shared:
            return []
        if self.company is None:
            return []
        key = (uuid.UUID(self.company.id), self.e164, first)
        return resolve_soon(
            info.context.loaders.line_staff,
            key,
            lambda rows: [ContactType.from_row(row) for row in rows],
        )

    @classmethod
    def from_match(cls, match: PhoneMatch) -> PhoneMatchType:
        from crm.graphql.companies import CompanyType  # the type modules refer to each other
        from crm.graphql.contacts import ContactType

        return cls(
            entity=PhoneMatchEntity(match.entity),
            contact=ContactType.from_row(match.contact) if match.contact else None,
            company=CompanyType.from_row(match.company) if match.company else None,
            match=PhoneMatchTier(match.match),
            number=match.number,
            kind=PhoneKind(match.kind),
            main_line=match.main_line,
            shared=match.shared,
            e164=match.e164,
        )


@strawberry.type
class LookupQuery:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Who a phone number (in any format) belongs to: every matching contact "
        "and company, the best first, each with the reason it matched.",
    )
    async def lookup_contacts(self, info: Info, phone: str) -> list[PhoneMatchType]:
        found = await info.context.services.lookup.find_with_phones(phone)
        # The rows are loaded already: a contact's `company` and `phones` need not fetch
        # them again.
        loaders = info.context.loaders
        for match in found.matches:
            if match.company is not None:
                loaders.company.prime(match.company.id, match.company)
        for contact_id, numbers in found.phones.items():
            loaders.contact_phones.prime(contact_id, numbers)
        return [PhoneMatchType.from_match(match) for match in found.matches]
