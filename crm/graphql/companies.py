"""Companies in GraphQL: the type, its relations through DataLoaders, queries and mutations."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

import strawberry

from crm.domain.companies import CompanyFilter, CompanyInput
from crm.graphql.contacts import ContactType
from crm.graphql.context import Info
from crm.graphql.inputs import fields_of
from crm.graphql.loaders import Soon, resolve_row_soon, resolve_soon
from crm.graphql.pagination import Connection, connection
from crm.graphql.permissions import CanRead, CanWrite
from crm.graphql.phone_numbers import PhoneInput, PhoneNumberType, phone_inputs, phone_types
from crm.graphql.users import UserType
from crm.tables import Company as CompanyRow


@strawberry.type(name="Company")
class CompanyType:
    """An organisation; contacts belong to it and it may have its own numbers."""

    id: strawberry.ID
    name: str
    website: str | None
    address: str | None
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: CompanyRow) -> CompanyType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            website=row.website,
            address=row.address,
            created_at=row.created_at,
            updated_at=row.updated_at,
            owner_id=row.owner,
        )

    @strawberry.field(
        description="The user who looks after this company.", graphql_type=UserType | None
    )
    def owner(self, info: Info) -> Soon[UserType | None]:
        return resolve_row_soon(info.context.loaders.user, self.owner_id, UserType.from_row)

    @strawberry.field(
        description="The company's numbers (its main line first, when given first).",
        graphql_type=list[PhoneNumberType],
    )
    def phones(self, info: Info) -> Soon[list[PhoneNumberType]]:
        return resolve_soon(info.context.loaders.company_phones, uuid.UUID(self.id), phone_types)

    @strawberry.field(
        description="The company's contacts, least recently changed first.",
        graphql_type=Connection[ContactType],
    )
    def contacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Soon[Connection[ContactType]]:
        return resolve_soon(
            info.context.loaders.company_contacts,
            (uuid.UUID(self.id), first, after),
            lambda page: connection(page, ContactType.from_row),
        )


@strawberry.input
class CreateCompanyInput:
    name: str
    website: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    phones: list[PhoneInput] | None = strawberry.UNSET


@strawberry.input
class UpdateCompanyInput:
    name: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    phones: list[PhoneInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces all of the company's numbers."
    )


@strawberry.input(name="CompanyFilter")
class CompanyFilterInput:
    text: str | None = strawberry.field(default=None, description="Part of the name.")
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only companies changed at or after this moment."
    )


_COMPANY_FIELDS = tuple(field.name for field in dataclasses.fields(CompanyInput))


def company_input(data: CreateCompanyInput | UpdateCompanyInput) -> CompanyInput:
    fields = fields_of(data, _COMPANY_FIELDS)
    fields["phones"] = phone_inputs(fields["phones"])
    return CompanyInput(**fields)


@strawberry.type
class CompanyQuery:
    @strawberry.field(permission_classes=[CanRead], description="One company by id.")
    async def company(self, info: Info, id: strawberry.ID) -> CompanyType:
        return CompanyType.from_row(await info.context.services.companies.get(id))

    @strawberry.field(
        permission_classes=[CanRead],
        description="Companies, least recently changed first: page on with `after`, "
        "and sync changes with `updatedSince`.",
    )
    async def companies(
        self,
        info: Info,
        filter: CompanyFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CompanyType]:
        data = CompanyFilter(**vars(filter)) if filter is not None else None
        page = await info.context.services.companies.list(data, limit=first, cursor=after)
        return connection(page, CompanyType.from_row)


@strawberry.type
class CompanyMutation:
    @strawberry.mutation(permission_classes=[CanWrite], description="Create a company.")
    async def create_company(self, info: Info, input: CreateCompanyInput) -> CompanyType:
        row = await info.context.services.companies.create(company_input(input))
        info.context.loaders.clear_all()
        return CompanyType.from_row(row)

    @strawberry.mutation(permission_classes=[CanWrite], description="Change a company.")
    async def update_company(
        self, info: Info, id: strawberry.ID, input: UpdateCompanyInput
    ) -> CompanyType:
        row = await info.context.services.companies.update(id, company_input(input))
        info.context.loaders.clear_all()
        return CompanyType.from_row(row)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Delete a company and its numbers; its contacts stay, with no company.",
    )
    async def delete_company(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        deleted = await info.context.services.companies.delete(id)
        info.context.loaders.clear_all()
        return strawberry.ID(str(deleted))
