"""The console's session over the WebSocket, against the real server: it signs a socket in
from the console's own origin only, and a socket it signed in closes once it ends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from facade.auth.session import COOKIE
from tests.auth_tools import hidden_fields
from tests.events.test_socket_limits import PROTOCOL, answer, closed_with, send
from tests.events_client import websocket_url
from tests.live_server import LiveServer

pytestmark = pytest.mark.asyncio(loop_scope="session")

EMAIL = "sam@example.com"
PASSWORD = "correct horse battery"


@asynccontextmanager
async def signed_in(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the server, signed in through the console's form."""
    key = server.api_key("admin", "crm:write")
    async with httpx.AsyncClient(base_url=server.url) as admin:
        created = await admin.post(
            "/graphql",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "query": "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                "variables": {"input": {"email": EMAIL, "password": PASSWORD}},
            },
        )
        assert not created.json().get("errors"), created.text
    async with httpx.AsyncClient(base_url=server.url) as browser:
        page = await browser.get("/")
        form = hidden_fields(page.text) | {"email": EMAIL, "password": PASSWORD}
        assert (await browser.post("/session/sign-in", data=form)).status_code == 303
        yield browser


@asynccontextmanager
async def console_socket(
    server: LiveServer, browser: httpx.AsyncClient, origin: str | None
) -> AsyncIterator[ClientConnection]:
    cookie = f"{COOKIE}={browser.cookies[COOKIE]}"
    async with connect(
        websocket_url(server.url),
        subprotocols=[PROTOCOL],
        additional_headers={"Cookie": cookie},
        origin=Origin(origin) if origin else None,
    ) as ws:
        yield ws


async def session_ready(ws: ClientConnection) -> None:
    """Sign a socket in by the session its handshake carries, and hear it answer a ping."""
    await send(ws, {"type": "connection_init", "payload": {}})
    assert (await answer(ws))["type"] == "connection_ack"
    await send(ws, {"type": "ping"})
    assert (await answer(ws))["type"] == "pong"


async def test_the_session_signs_in_a_socket_from_the_consoles_origin_only(
    server: LiveServer,
) -> None:
    async with signed_in(server) as browser:
        async with console_socket(server, browser, server.url) as ws:
            await send(ws, {"type": "connection_init", "payload": {}})
            assert (await answer(ws))["type"] == "connection_ack"
        # Another site's page: refused at the handshake (Strawberry's origin check) ...
        with pytest.raises(InvalidStatus) as refused:
            async with console_socket(server, browser, "http://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        # ... and no origin at all (no browser sends that): the cookie signs no one in.
        async with console_socket(server, browser, None) as ws:
            await send(ws, {"type": "connection_init", "payload": {}})
            assert await closed_with(ws) == 4403


async def test_a_socket_signed_in_by_the_session_closes_once_it_is_signed_out(
    server: LiveServer,
) -> None:
    async with signed_in(server) as browser:
        kept = browser.cookies[COOKIE]
        async with console_socket(server, browser, server.url) as ws:
            await session_ready(ws)
            ended = await browser.post("/session/sign-out", headers={"X-CRM-Console": "1"})
            assert ended.status_code == 204
            await ws.send(json.dumps({"type": "ping"}))
            assert await closed_with(ws) == 4403
        browser.cookies.set(COOKIE, kept)
        async with console_socket(server, browser, server.url) as ws:
            await send(ws, {"type": "connection_init", "payload": {}})
            assert await closed_with(ws) == 4403
