"""Users in GraphQL: the type, queries and mutations."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry

from crm.domain.users import UserInput
from crm.graphql.context import Info
from crm.graphql.inputs import fields_of
from crm.graphql.pagination import Connection, connection
from crm.graphql.permissions import CanRead, IsAdmin
from crm.tables import User as UserRow


@strawberry.type(name="User")
class UserType:
    """A CRM user; Ringotel maps its own users onto these."""

    id: strawberry.ID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    extension: str | None
    ringotel_user_id: str | None = strawberry.field(
        description="Ringotel's id of this user, remembered from its webhook's call events."
    )
    is_active: bool
    is_admin: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: UserRow) -> UserType:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            phone=row.phone,
            extension=row.extension,
            ringotel_user_id=row.ringotel_user_id,
            is_active=row.is_active,
            is_admin=row.is_admin,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.input
class CreateUserInput:
    email: str
    password: str
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    extension: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    is_admin: bool | None = strawberry.UNSET


@strawberry.input
class UpdateUserInput:
    email: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    extension: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    is_admin: bool | None = strawberry.UNSET


_USER_FIELDS = tuple(field.name for field in dataclasses.fields(UserInput))


@strawberry.type
class UserQuery:
    @strawberry.field(permission_classes=[CanRead], description="One user by id.")
    async def user(self, info: Info, id: strawberry.ID) -> UserType:
        return UserType.from_row(await info.context.services.users.get(id))

    @strawberry.field(
        permission_classes=[CanRead],
        description="The signed-in user; null for a credential that acts for no user "
        "(an API key, a client's own token).",
    )
    async def me(self, info: Info) -> UserType | None:
        principal = info.context.principal
        if principal is None or principal.user_id is None:
            return None
        return UserType.from_row(await info.context.services.users.get(principal.user_id))

    @strawberry.field(permission_classes=[CanRead], description="Users, by id; `active` filters.")
    async def users(
        self,
        info: Info,
        active: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[UserType]:
        page = await info.context.services.users.list(active=active, limit=first, cursor=after)
        return connection(page, UserType.from_row)


@strawberry.type
class UserMutation:
    @strawberry.mutation(permission_classes=[IsAdmin], description="Create a CRM user.")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserType:
        row = await info.context.services.users.create(UserInput(**fields_of(input, _USER_FIELDS)))
        return UserType.from_row(row)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Change a CRM user.")
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> UserType:
        row = await info.context.services.users.update(
            id, UserInput(**fields_of(input, _USER_FIELDS))
        )
        info.context.loaders.clear_all()
        return UserType.from_row(row)
