"""Introspection needs a credential unless CRM_GRAPHQL_PUBLIC_INTROSPECTION says otherwise;
the GraphiQL page itself is switched by CRM_GRAPHIQL (see test_playground)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from graphql import get_introspection_query
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from facade.app import create_app
from tests.conftest import make_settings
from tests.graphql_client import gql, gql_errors

FULL = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "User") { fields { name } } }',
        "{ ...Schema } fragment Schema on Query { __schema { types { name } } }",
        "{ ... on Query { s: __schema { types { name } } } }",
        FULL,
    ],
)
async def test_introspection_without_credentials_is_forbidden(
    anonymous: httpx.AsyncClient, query: str
) -> None:
    errors = await gql_errors(anonymous, query)
    assert len(errors) == 1, errors
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert "CRM_GRAPHQL_PUBLIC_INTROSPECTION" in errors[0]["message"]


async def test_introspection_typename_needs_no_credentials(anonymous: httpx.AsyncClient) -> None:
    assert await gql(anonymous, "{ __typename }") == {"__typename": "Query"}


async def test_introspection_with_a_credential_answers_the_full_query(
    client: httpx.AsyncClient,
) -> None:
    data = await gql(client, FULL)
    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Contact", "Company", "Activity", "User"} <= names


async def test_introspection_nested_past_graphql_cores_rule_is_refused(
    client: httpx.AsyncClient,
) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    errors = await gql_errors(client, query)
    assert "Internal error." not in {error["message"] for error in errors}
    assert "introspection" in errors[0]["message"].lower()


async def test_introspection_public_when_the_setting_says_so(tmp_path: Path) -> None:
    app: Any = create_app(make_settings(tmp_path, graphql_public_introspection=True))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        data = await gql(http, FULL)  # within the anonymous budget
        assert data["__schema"]["queryType"]["name"] == "Query"
        # still bounded: two full introspections cost more than the anonymous budget
        errors = await gql_errors(
            http, "{ a: __schema { types { name } } b: __schema { types { name } } }"
        )
        assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "CRM_GRAPHQL_ANONYMOUS_MAX_COST" in errors[0]["message"]


def test_introspection_over_the_websocket_is_refused_too(app: Litestar) -> None:
    # Strawberry's controller also runs queries over graphql-transport-ws: a socket
    # without credentials is closed at connection_init, before any document is read
    with (
        TestClient(app) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403
