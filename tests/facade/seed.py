"""Records the facade tests start from, created through GraphQL as any client would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.graphql_client import gql


async def make_user(client: httpx.AsyncClient, email: str, **fields: Any) -> dict[str, Any]:
    data = await gql(
        client,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }",
        {"input": {"email": email, "password": "correct horse", **fields}},
    )
    user: dict[str, Any] = data["createUser"]
    return user
