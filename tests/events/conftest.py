"""A real server for the live-event tests, and REST and GraphQL clients of it.

The server outlives one test and runs on the test database (SQLite or PostgreSQL), which
the conftest empties before each test: every test makes the credentials and records it
uses, after that, in the same database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from crm.settings import load_settings
from facade.auth.tokens import TokenSigner
from tests.events_client import EventStream, call_id
from tests.graphql_client import gql
from tests.live_server import LiveServer, live_server

ACTIVITIES = "/ringotel/v1/activities"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("events")) as running:
        yield running


@pytest.fixture
async def rest(server: LiveServer, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the live server with a key of every scope (the Ringotel hooks too)."""
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    ) as http:
        yield http


async def log_call(rest: httpx.AsyncClient, **body: Any) -> str:
    """A call logged as Ringotel logs it (CreateActivity); its activity id."""
    payload = {"call_id": call_id(), "direction": "inbound", "phone": "+12015550100", **body}
    response = await rest.post(ACTIVITIES, json=payload)
    assert response.status_code == 201, response.text
    activity_id: str = response.json()["id"]
    return activity_id


@asynccontextmanager
async def subscriber(
    server: LiveServer,
    rest: httpx.AsyncClient,
    authorization: str,
    *,
    mine: bool | None = None,
    **probe: Any,
) -> AsyncIterator[EventStream]:
    """A subscriber that has been heard to hear (see `EventStream.ready`); `probe` is the
    body of the probe calls (a `mine` subscriber hears only its user's)."""
    async with EventStream(server.url, authorization, mine=mine) as stream:
        await stream.ready(lambda: log_call(rest, **probe))
        yield stream


async def make_user(rest: httpx.AsyncClient, email: str, extension: str) -> dict[str, Any]:
    data = await gql(
        rest,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }",
        {"input": {"email": email, "password": "correct horse", "extension": extension}},
    )
    user: dict[str, Any] = data["createUser"]
    return user


def user_token(server: LiveServer, user_id: str, client_id: str) -> str:
    """An access token the server signs for a person (as the OAuth2 code flow ends)."""
    signer = TokenSigner(load_settings(public_url=server.url))
    return signer.issue(
        subject=f"user:{user_id}", scopes=["crm:read"], client_id=client_id, user_id=user_id
    ).token
