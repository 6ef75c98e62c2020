"""The Users hook: the CRM users Ringotel maps its own users onto."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from litestar import get

from facade.operations import Operation
from facade.ringotel.client import HookClient
from facade.ringotel.hooks import Fills, hook, hook_responses
from facade.ringotel.paging import Cursor, Limit, NextCursor, page_of, page_variables

USERS_QUERY = Operation(
    "RingotelUsers",
    """
    query RingotelUsers($first: Int, $after: String) {
      users(active: true, first: $first, after: $after) {
        nodes { id firstName lastName email phone extension }
        pageInfo { endCursor hasNextPage }
      }
    }
    """,
)


class UserRecord(msgspec.Struct):
    """One CRM user, with the id Ringotel maps its user onto."""

    id: Annotated[str, Fills("user_id")]
    firstname: Annotated[str | None, Fills("firstname")]
    lastname: Annotated[str | None, Fills("lastname")]
    email: Annotated[str | None, Fills("email")]
    phone: Annotated[str | None, Fills("phone")]
    extension: Annotated[str | None, Fills("extension")]


class UsersPage(msgspec.Struct):
    records: list[UserRecord]
    next_cursor: NextCursor = None


def user_record(node: Mapping[str, Any]) -> UserRecord:
    return UserRecord(
        id=node["id"],
        firstname=node.get("firstName"),
        lastname=node.get("lastName"),
        email=node.get("email"),
        phone=node.get("phone"),
        extension=node.get("extension"),
    )


@get(
    "/ringotel/v1/users",
    operation_id="Users",
    tags=["users"],
    summary="Every active CRM user, each with a stable id, to map onto Ringotel users.",
    opt=hook("Users"),
    responses=hook_responses(has_body=False),
)
async def users(graphql: HookClient, limit: Limit = None, cursor: Cursor = None) -> UsersPage:
    data = await graphql.run(USERS_QUERY, page_variables(limit, cursor))
    return page_of(UsersPage, data["users"], user_record)
