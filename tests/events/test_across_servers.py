"""On PostgreSQL, an event raised on one server reaches the subscribers of another, and a
dropped LISTEN connection is opened again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from piccolo.querystring import QueryString

from crm.engine import current_engine
from crm.pg_events import APPLICATION_NAME
from tests.conftest import IS_POSTGRES
from tests.events.conftest import log_call, subscriber
from tests.live_server import LiveServer, live_server

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(not IS_POSTGRES, reason="LISTEN/NOTIFY is PostgreSQL's"),
]


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Another `crm serve`, on its own port and process, on the same database."""
    with live_server(tmp_path_factory.mktemp("events-second")) as running:
        yield running


async def test_an_event_raised_on_one_server_reaches_a_subscriber_of_the_other(
    server: LiveServer, second_server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    assert server.pid != second_server.pid
    assert server.port != second_server.port
    async with (
        httpx.AsyncClient(
            base_url=second_server.url, headers={"Authorization": f"Bearer {api_key}"}
        ) as other,
        subscriber(second_server, other, f"Bearer {api_key}") as events,
    ):
        # Logged through the first server only: the subscriber is on the second.
        activity_id = await log_call(rest)
        event = await events.of_call(activity_id)
    assert event["type"] == "STARTED"
    assert event["activity"]["id"] == activity_id


async def _listeners() -> list[int]:
    rows = await current_engine().run_querystring(
        QueryString(
            "SELECT pid FROM pg_stat_activity WHERE application_name = {} "
            "AND datname = current_database()",
            APPLICATION_NAME,
        )
    )
    return [row["pid"] for row in rows]


async def drop_listeners() -> None:
    """Terminate every event listener's connection on the test database, and wait until
    each is opened again, with a new backend."""
    before = set(await _listeners())
    for pid in before:
        await current_engine().run_querystring(QueryString("SELECT pg_terminate_backend({})", pid))
    for _ in range(100):
        now = set(await _listeners())
        if len(now) >= len(before) and not now & before:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the listeners did not reconnect")


async def test_a_dropped_listen_connection_is_opened_again(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str, tmp_path: Path
) -> None:
    # One server of its own, so that its listener is the one that is dropped.
    with live_server(tmp_path / "dropped") as own:
        async with (
            httpx.AsyncClient(
                base_url=own.url, headers={"Authorization": f"Bearer {api_key}"}
            ) as http,
            subscriber(own, http, f"Bearer {api_key}") as events,
        ):
            await drop_listeners()
            activity_id = await log_call(http)
            event = await events.of_call(activity_id)
    assert event["type"] == "STARTED"
