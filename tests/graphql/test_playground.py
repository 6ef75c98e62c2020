"""The GraphiQL playground at /graphql, switched by CRM_GRAPHIQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from facade.app import create_app
from facade.graphiql import AUTHORIZATION_HINT, EXAMPLE_QUERY
from tests.conftest import make_settings

BROWSER = {"Accept": "text/html"}


async def test_graphiql_is_served_to_a_browser_without_credentials(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_off_serves_no_playground(tmp_path: Path) -> None:
    app: Any = create_app(make_settings(tmp_path, graphiql=False))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        response = await http.get("/graphql", headers=BROWSER)
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()


async def test_graphiql_example_query_runs_and_returns_contacts(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/graphql",
        json={
            "query": 'mutation { createContact(input: {firstName: "Ada", lastName: "Lovelace"})'
            " { contact { id } } }"
        },
    )
    assert created.json().get("errors") is None, created.text
    response = await client.post("/graphql", json={"query": EXAMPLE_QUERY})
    body = response.json()
    assert body.get("errors") is None, body
    assert [node["lastName"] for node in body["data"]["contacts"]["nodes"]] == ["Lovelace"]


async def test_graphiql_page_opens_on_the_example_with_the_authorization_hint(
    anonymous: httpx.AsyncClient,
) -> None:
    page = (await anonymous.get("/graphql", headers=BROWSER)).text
    assert json.dumps(EXAMPLE_QUERY).replace("<", "\\u003c") in page
    assert json.dumps(AUTHORIZATION_HINT).replace("<", "\\u003c") in page
    assert "unpkg.com" not in page
