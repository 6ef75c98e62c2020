"""Contacts in GraphQL: the type, its relations through DataLoaders, queries and mutations."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm.domain.contacts import ContactFilter, ContactInput
from crm.graphql.activities import ActivityType
from crm.graphql.context import Info
from crm.graphql.inputs import fields_of
from crm.graphql.loaders import Soon, resolve_row_soon, resolve_soon
from crm.graphql.pagination import Connection, connection
from crm.graphql.permissions import CanRead, CanWrite
from crm.graphql.phone_numbers import (
    PhoneInput,
    PhoneKind,
    PhoneNumberType,
    phone_inputs,
    phone_types,
)
from crm.graphql.users import UserType
from crm.tables import Contact as ContactRow

if TYPE_CHECKING:
    from crm.graphql.companies import CompanyType

__all__ = [
    "ContactMutation",
    "ContactQuery",
    "ContactType",
    "PhoneInput",
    "PhoneKind",
    "PhoneNumberType",
]


@strawberry.type(name="Contact")
class ContactType:
    """A person the organisation talks to."""

    id: strawberry.ID
    first_name: str
    last_name: str
    email: str | None
    job_title: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    company_id: strawberry.Private[uuid.UUID | None]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: ContactRow) -> ContactType:
        return cls(
            id=strawberry.ID(str(row.id)),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            job_title=row.job_title,
            notes=row.notes,
            created_at=row.created_at,
            updated_at=row.updated_at,
            company_id=row.company,
            owner_id=row.owner,
        )

    @strawberry.field(
        graphql_type=Annotated["CompanyType", strawberry.lazy("crm.graphql.companies")] | None
    )
    def company(self, info: Info) -> Soon[CompanyType | None]:
        from crm.graphql.companies import CompanyType  # the modules refer to each other

        return resolve_row_soon(info.context.loaders.company, self.company_id, CompanyType.from_row)

    @strawberry.field(
        description="The user who looks after this contact.", graphql_type=UserType | None
    )
    def owner(self, info: Info) -> Soon[UserType | None]:
        return resolve_row_soon(info.context.loaders.user, self.owner_id, UserType.from_row)

    @strawberry.field(
        description="The contact's numbers, in the order given.",
        graphql_type=list[PhoneNumberType],
    )
    def phones(self, info: Info) -> Soon[list[PhoneNumberType]]:
        return resolve_soon(info.context.loaders.contact_phones, uuid.UUID(self.id), phone_types)

    @strawberry.field(
        description="Calls with this contact, newest first.",
        graphql_type=Connection[ActivityType],
    )
    def activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Soon[Connection[ActivityType]]:
        return resolve_soon(
            info.context.loaders.contact_activities,
            (uuid.UUID(self.id), first, after),
            lambda page: connection(page, ActivityType.from_row),
        )


@strawberry.input
class CreateContactInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    company_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A company's name; one is created when none has it."
    )
    owner_id: strawberry.ID | None = strawberry.UNSET
    phones: list[PhoneInput] | None = strawberry.field(
        default=strawberry.UNSET, description="On update, replaces all of the contact's numbers."
    )


@strawberry.input
class UpdateContactInput(CreateContactInput):
    """The fields to change; those left out stay as they are."""


@strawberry.input(name="ContactFilter")
class ContactFilterInput:
    text: str | None = strawberry.field(
        default=None,
        description="Part of the first, last or full name, the email or the company's name.",
    )
    owner_id: strawberry.ID | None = None
    company_id: strawberry.ID | None = None
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only contacts changed at or after this moment."
    )


@strawberry.type
class CreateContactResult:
    contact: ContactType
    created: bool = strawberry.field(description="False when an existing contact was matched.")


_CONTACT_FIELDS = tuple(field.name for field in dataclasses.fields(ContactInput))


def contact_input(data: CreateContactInput | UpdateContactInput) -> ContactInput:
    fields = fields_of(data, _CONTACT_FIELDS)
    fields["phones"] = phone_inputs(fields["phones"])
    return ContactInput(**fields)


@strawberry.type
class ContactQuery:
    @strawberry.field(permission_classes=[CanRead], description="One contact by id.")
    async def contact(self, info: Info, id: strawberry.ID) -> ContactType:
        return ContactType.from_row(await info.context.services.contacts.get(id))

    @strawberry.field(
        permission_classes=[CanRead],
        description="Contacts, least recently changed first: page on with `after`, "
        "and sync changes with `updatedSince`.",
    )
    async def contacts(
        self,
        info: Info,
        filter: ContactFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ContactType]:
        data = ContactFilter(**vars(filter)) if filter is not None else None
        page = await info.context.services.contacts.list(data, limit=first, cursor=after)
        return connection(page, ContactType.from_row)


@strawberry.type
class ContactMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Create a contact; with `matchExisting`, a contact that already has one "
        "of the numbers or the email is returned instead (`created: false`).",
    )
    async def create_contact(
        self, info: Info, input: CreateContactInput, match_existing: bool | None = False
    ) -> CreateContactResult:
        row, created = await info.context.services.contacts.create(
            contact_input(input), match_existing=bool(match_existing)
        )
        info.context.loaders.clear_all()
        return CreateContactResult(contact=ContactType.from_row(row), created=created)

    @strawberry.mutation(permission_classes=[CanWrite], description="Change a contact.")
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: UpdateContactInput
    ) -> ContactType:
        row = await info.context.services.contacts.update(id, contact_input(input))
        info.context.loaders.clear_all()
        return ContactType.from_row(row)

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Delete a contact and its numbers."
    )
    async def delete_contact(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        deleted = await info.context.services.contacts.delete(id)
        info.context.loaders.clear_all()
        return strawberry.ID(str(deleted))
