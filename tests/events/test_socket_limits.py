"""Hostile sockets against the real server: no or bad credentials, no `connection_init`,
too many operations or connections, oversized messages, documents past the limits."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.events_client import websocket_url
from tests.live_server import LiveServer, live_server

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIBE = "subscription { callEvents { type activity { id } } }"
LIMITS = {
    "CRM_WS_INIT_TIMEOUT_S": "1",
    "CRM_WS_MAX_SUBSCRIPTIONS": "2",
    "CRM_WS_MAX_CONNECTIONS": "3",
    "CRM_WS_MAX_MESSAGE_BYTES": "4096",
}


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small socket limits."""
    with live_server(tmp_path_factory.mktemp("sockets"), **LIMITS) as running:
        yield running


@asynccontextmanager
async def socket(server: LiveServer, **headers: str) -> AsyncIterator[ClientConnection]:
    async with connect(
        websocket_url(server.url), subprotocols=[PROTOCOL], additional_headers=headers
    ) as ws:
        yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def answer(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return message


async def closed_with(ws: ClientConnection) -> int | None:
    """The close code the server ended the socket with (after any messages it sent)."""
    return (await until_closed(ws))[1]


async def until_closed(ws: ClientConnection) -> tuple[list[str], int | None]:
    """The types of the messages the server sent until it closed the socket, and its code."""
    heard: list[str] = []
    try:
        while True:
            heard.append((await answer(ws))["type"])
    except ConnectionClosed as closed:
        return heard, closed.rcvd.code if closed.rcvd else None


async def acknowledged(ws: ClientConnection, authorization: str) -> None:
    await send(ws, {"type": "connection_init", "payload": {"Authorization": authorization}})
    assert (await answer(ws))["type"] == "connection_ack"


async def first_error(ws: ClientConnection, query: str, op: str = "1") -> dict[str, Any]:
    await send(ws, {"type": "subscribe", "id": op, "payload": {"query": query}})
    message = await answer(ws)
    assert message["type"] == "error", message
    error: dict[str, Any] = message["payload"][0]
    return error


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer crmk_nope_nope"},
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"},
        {"Authorization": "Basic " + base64.b64encode(b"crmc_x:wrong").decode()},
        {"Authorization": "Digest whatever"},
        {"authorization": 42},
    ],
    ids=["none", "bad-api-key", "bad-jwt", "bad-basic", "other-scheme", "not-a-string"],
)
async def test_a_socket_without_a_good_credential_is_closed_forbidden(
    strict: LiveServer, payload: dict[str, Any]
) -> None:
    async with socket(strict) as ws:
        await send(ws, {"type": "connection_init", "payload": payload})
        assert await closed_with(ws) == 4403


async def test_a_bad_credential_in_connection_init_wins_over_a_good_handshake(
    strict: LiveServer, api_key: str
) -> None:
    async with socket(strict, Authorization=f"Bearer {api_key}") as ws:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": "Bearer bad"}})
        assert await closed_with(ws) == 4403


async def test_the_handshakes_own_credential_is_enough(strict: LiveServer, api_key: str) -> None:
    async with socket(strict, Authorization=f"Bearer {api_key}") as ws:
        await send(ws, {"type": "connection_init"})
        assert (await answer(ws))["type"] == "connection_ack"


async def test_a_credential_without_crm_read_is_closed_forbidden(
    strict: LiveServer, anonymous: httpx.AsyncClient
) -> None:
    key = strict.api_key("ringotel")
    async with socket(strict) as ws:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
        assert await closed_with(ws) == 4403


async def test_a_socket_that_never_sends_connection_init_is_closed(strict: LiveServer) -> None:
    async with socket(strict) as ws:
        assert await closed_with(ws) == 4408  # after CRM_WS_INIT_TIMEOUT_S


async def test_subscribing_before_connection_init_is_closed_unauthorized(
    strict: LiveServer,
) -> None:
    async with socket(strict) as ws:
        await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
        assert await closed_with(ws) == 4401


async def test_operations_past_the_limit_are_refused_with_a_code(
    strict: LiveServer, api_key: str
) -> None:
    async with socket(strict) as ws:
        await acknowledged(ws, f"Bearer {api_key}")
        for op in ("1", "2"):
            await send(ws, {"type": "subscribe", "id": op, "payload": {"query": SUBSCRIBE}})
        error = await first_error(ws, SUBSCRIBE, op="3")
        assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert "CRM_WS_MAX_SUBSCRIPTIONS" in error["message"]
        # ending one makes room again
        await send(ws, {"type": "complete", "id": "1"})
        await send(ws, {"type": "subscribe", "id": "4", "payload": {"query": SUBSCRIBE}})
        await send(ws, {"type": "ping"})
        assert (await answer(ws))["type"] == "pong"  # "4" was taken: no error came first


async def test_a_message_larger_than_the_limit_closes_the_socket(
    strict: LiveServer, api_key: str
) -> None:
    async with socket(strict) as ws:
        await acknowledged(ws, f"Bearer {api_key}")
        query = SUBSCRIBE + " " * 5000
        await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": query}})
        assert await closed_with(ws) == 1009  # message too big


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "subscription { callEvents { activity { contact { company { contacts(first: 1) {"
            " nodes { company { contacts(first: 1) { nodes { company { contacts(first: 1) {"
            " nodes { company { name } } } } } } } } } } } } } }",
            "QUERY_TOO_DEEP",
        ),
        (
            "subscription { callEvents { " + " ".join(f"a{i}: type" for i in range(40)) + " } }",
            "TOO_MANY_ALIASES",
        ),
        (
            "subscription { callEvents { activity { contact { company {"
            " contacts(first: 500) { nodes { activities(first: 500) { nodes { id } } } } } } } } }",
            "QUERY_TOO_COMPLEX",
        ),
        ("subscription { callEvents { type ", "GRAPHQL_PARSE_FAILED"),
        (
            "subscription { callEvents(mine: " + "[" * 100 + "]" * 100 + ") { type } }",
            "QUERY_TOO_DEEP",
        ),
    ],
    ids=["deep", "aliases", "cost", "syntax", "brackets"],
)
async def test_the_graphql_limits_apply_to_subscription_documents(
    strict: LiveServer, api_key: str, query: str, code: str
) -> None:
    async with socket(strict) as ws:
        await acknowledged(ws, f"Bearer {api_key}")
        error = await first_error(ws, query)
        assert error["extensions"]["code"] == code
        # the socket stays usable
        await send(ws, {"type": "ping"})
        assert (await answer(ws))["type"] == "pong"


async def test_connections_past_the_limit_are_closed_try_again_later(
    tmp_path_factory: pytest.TempPathFactory, api_key: str
) -> None:
    with live_server(tmp_path_factory.mktemp("connections"), **LIMITS) as server:
        async with socket(server) as a, socket(server) as b, socket(server) as c:
            for ws in (a, b, c):
                await acknowledged(ws, f"Bearer {api_key}")
            async with socket(server) as d:
                assert await closed_with(d) == 1013
            # the three still work
            for ws in (a, b, c):
                await send(ws, {"type": "ping"})
                assert (await answer(ws))["type"] == "pong"


def revocable(server: LiveServer, kind: str) -> tuple[str, list[str]]:
    """A credential of `kind` holding `crm:read`, and the command that revokes it."""
    if kind == "api-key":
        key = server.api_key("crm:read")
        key_id = key.removeprefix("crmk_").partition("_")[0]
        return f"Bearer {key}", ["apikey", "revoke", key_id]
    client = server.crm_json("client", "create", "--name", "socket tests", "--scope", "crm:read")
    pair = f"{client['client_id']}:{client['client_secret']}".encode()
    return "Basic " + base64.b64encode(pair).decode(), ["client", "revoke", client["client_id"]]


@pytest.mark.parametrize("kind", ["api-key", "oauth-client"])
async def test_a_socket_closes_at_its_next_event_once_its_credential_is_revoked(
    strict: LiveServer, kind: str
) -> None:
    authorization, revoke = revocable(strict, kind)
    writer = strict.api_key("ringotel")
    async with socket(strict) as ws:
        await acknowledged(ws, authorization)
        await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
        await send(ws, {"type": "ping"})
        assert (await answer(ws))["type"] == "pong"
        strict.crm(*revoke)
        async with httpx.AsyncClient(
            base_url=strict.url, headers={"Authorization": f"Bearer {writer}"}
        ) as rest:
            call = {"call_id": f"revoked-{kind}", "direction": "inbound", "phone": "+12015550100"}
            logged = await rest.post("/ringotel/v1/activities", json=call)
            assert logged.status_code == 201, logged.text
        heard, code = await until_closed(ws)
        assert code == 4403
        assert "next" not in heard  # the event was not sent to a revoked credential
