"""A socket's credential, checked again only when it may have changed: every revocation,
ended session and changed user is announced, and a socket that heard one reads its
credential again before its next event or pong. On PostgreSQL the announcement crosses
workers, servers and the `crm` command; a socket that missed announcements (its server's
LISTEN connection dropped) reads again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from piccolo.querystring import QueryString

from crm.engine import current_engine
from facade.auth.session import COOKIE
from tests.conftest import IS_POSTGRES
from tests.events.conftest import log_call, make_user, user_token
from tests.events.test_across_servers import drop_listeners
from tests.events.test_console_socket import EMAIL, console_socket, session_ready, signed_in
from tests.events.test_socket_limits import (
    SUBSCRIBE,
    acknowledged,
    answer,
    closed_with,
    send,
    socket,
    until_closed,
)
from tests.graphql_client import gql
from tests.live_server import LiveServer, live_server

pytestmark = pytest.mark.asyncio(loop_scope="session")

DEACTIVATE = "mutation($id: ID!) { updateUser(id: $id, input: {isActive: false}) { id } }"
USERS = "{ users { nodes { id email } } }"


async def _user_id(rest: httpx.AsyncClient, email: str) -> str:
    data = await gql(rest, USERS)
    user_id: str = next(n["id"] for n in data["users"]["nodes"] if n["email"] == email)
    return user_id


async def test_a_session_socket_closes_once_its_user_is_deactivated(
    server: LiveServer, rest: httpx.AsyncClient
) -> None:
    async with signed_in(server) as browser, console_socket(server, browser, server.url) as ws:
        await session_ready(ws)
        await gql(rest, DEACTIVATE, {"id": await _user_id(rest, EMAIL)})
        await send(ws, {"type": "ping"})
        assert await closed_with(ws) == 4403


async def test_an_access_token_socket_closes_once_its_user_is_deactivated(
    server: LiveServer, rest: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    agent = await make_user(rest, "token-agent@example.com", "601")
    token = user_token(server, agent["id"], oauth_client[0])
    async with socket(server) as ws:
        await acknowledged(ws, f"Bearer {token}")
        await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
        await send(ws, {"type": "ping"})
        assert (await answer(ws))["type"] == "pong"
        await gql(rest, DEACTIVATE, {"id": agent["id"]})
        await log_call(rest)
        heard, code = await until_closed(ws)
        assert code == 4403
        assert "next" not in heard


async def test_a_socket_whose_credential_holds_keeps_hearing_after_another_is_revoked(
    server: LiveServer, rest: httpx.AsyncClient
) -> None:
    kept, other = server.api_key("crm:read"), server.api_key("crm:read")
    async with socket(server) as ws:
        await acknowledged(ws, f"Bearer {kept}")
        await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
        await send(ws, {"type": "ping"})
        assert (await answer(ws))["type"] == "pong"
        server.crm("apikey", "revoke", other.removeprefix("crmk_").partition("_")[0])
        await log_call(rest)
        assert (await answer(ws))["type"] == "next"  # read again, and it still holds


# On PostgreSQL: across servers, and after a missed announcement.

postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="LISTEN/NOTIFY is PostgreSQL's")


@pytest.fixture(scope="module")
def other_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Another `crm serve` on the same database: what one ends, the other's sockets hear."""
    with live_server(tmp_path_factory.mktemp("credentials-other")) as running:
        yield running


@postgres_only
@pytest.mark.parametrize("change", ["sign-out", "deactivation"])
async def test_ending_a_session_on_one_server_closes_its_socket_on_another(
    server: LiveServer, other_server: LiveServer, rest: httpx.AsyncClient, change: str
) -> None:
    async with (
        signed_in(server) as browser,
        httpx.AsyncClient(base_url=other_server.url) as elsewhere,
    ):
        elsewhere.cookies.set(COOKIE, browser.cookies[COOKIE])
        async with console_socket(other_server, elsewhere, other_server.url) as ws:
            await session_ready(ws)
            await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
            if change == "sign-out":
                ended = await browser.post("/session/sign-out", headers={"X-CRM-Console": "1"})
                assert ended.status_code == 204
            else:
                await gql(rest, DEACTIVATE, {"id": await _user_id(rest, EMAIL)})
            # The call's event comes after the change's announcement (one LISTEN
            # connection hears both, in order): the socket closes instead of sending it.
            await log_call(rest)
            heard, code = await until_closed(ws)
            assert code == 4403
            assert "next" not in heard


@postgres_only
async def test_a_socket_reads_its_credential_again_once_its_listener_came_back(
    rest: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A revocation no process announced (written straight into the database) is not
    heard; once the LISTEN connection drops and comes back, every socket reads again."""
    with live_server(tmp_path / "quiet", CRM_WS_RECHECK_S="3600") as own:
        key = own.api_key("crm:read")
        async with socket(own) as ws:
            await acknowledged(ws, f"Bearer {key}")
            await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
            await send(ws, {"type": "ping"})
            assert (await answer(ws))["type"] == "pong"
            await current_engine().run_querystring(
                QueryString(
                    "UPDATE crm_api_key SET revoked_at = now() WHERE key_id = {}",
                    key.removeprefix("crmk_").partition("_")[0],
                )
            )
            await send(ws, {"type": "ping"})
            assert (await answer(ws))["type"] == "pong"  # unannounced: not read yet
            await drop_listeners()
            await send(ws, {"type": "ping"})
            assert await closed_with(ws) == 4403
