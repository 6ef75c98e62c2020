"""GraphQL's own authorization: queries need crm:read, mutations crm:write, users admin."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from tests.graphql_client import gql, gql_errors

CREATE_USER = (
    'mutation { createUser(input: {email: "bo@example.com", password: "long enough"}) { id } }'
)
USERS = "{ users { nodes { id } } }"


async def key_with(app: Litestar, *scopes: str) -> dict[str, str]:
    _, key = await app.state.services.credentials.create_api_key("scoped", scopes)
    return {"Authorization": f"Bearer {key}"}


async def test_anonymous_query_is_forbidden_without_data(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/graphql", json={"query": USERS})
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("scopes", "document"),
    [
        (("ringotel", "crm:write", "admin"), USERS),
        (("crm:read", "ringotel"), CREATE_USER),
        (("crm:read", "crm:write", "ringotel"), CREATE_USER),
    ],
)
async def test_under_scoped_credentials_get_forbidden(
    app: Litestar, anonymous: httpx.AsyncClient, scopes: tuple[str, ...], document: str
) -> None:
    errors = await gql_errors(anonymous, document, headers=await key_with(app, *scopes))
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert "scope" in errors[0]["message"]


async def test_read_scope_is_enough_for_queries(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    data = await gql(anonymous, USERS, headers=await key_with(app, "crm:read"))
    assert data == {"users": {"nodes": []}}


async def test_admin_scope_manages_users(app: Litestar, anonymous: httpx.AsyncClient) -> None:
    data = await gql(anonymous, CREATE_USER, headers=await key_with(app, "admin"))
    assert data["createUser"]["id"]
