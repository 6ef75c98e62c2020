"""A server killed with SIGKILL in the middle of a burst of call logs loses no answered one.

Ringotel logs each call with CreateActivity and retries what was not answered. The
promise: every create the server answered 2xx is in the database after a crash,
exactly once and whole, and Ringotel's retries after the restart end with each call
logged once. Run on the test database's engine (SQLite, or PostgreSQL from
`CRM_TEST_DATABASE_URL`); the 1,000-call form is in the slow suite.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from crm.tables import Activity
from tests.facade.ringotel import Ringotel
from tests.live_server import LiveServer

CALL_START_MS = 1_767_000_000_000  # 2025-12-29, a fixed moment every logged call must carry


def call(number: int) -> dict[str, Any]:
    """The values Ringotel fills into CreateActivity for call `number`."""
    return {
        "call_id": f"crash-{number:05d}",
        "direction": "inbound",
        "phone": f"+1415555{number:04d}",
        "called_number": "+14155550000",
        "call_start": CALL_START_MS + number,
        "status": "answered",
        "subject": f"call {number}",
    }


async def log_calls(
    ringotel: Ringotel, numbers: range, *, kill_after: int | None, server: LiveServer
) -> dict[str, str]:
    """Send every call at once; SIGKILL the server once `kill_after` were answered.

    Returns the activity id of each call the server answered 2xx; a call whose
    connection broke is unanswered, as it is to Ringotel.
    """
    answered: dict[str, str] = {}
    enough = asyncio.Event()

    async def one(number: int) -> None:
        values = call(number)
        try:
            answer = await ringotel.call("CreateActivity", **values)
        except httpx.TransportError:
            return
        status = answer.response.status_code
        assert status in (200, 201), (values, status, answer.response.text)
        answered[values["call_id"]] = answer.values["activity_id"]
        if kill_after is not None and len(answered) >= kill_after:
            enough.set()

    tasks = [asyncio.create_task(one(n)) for n in numbers]
    if kill_after is not None:
        waiting = asyncio.create_task(enough.wait())
        await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
        await asyncio.wait([waiting], timeout=120)
        server.kill()
    await asyncio.gather(*tasks)
    return answered


async def logged(prefix: str = "crash-") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await Activity.select().where(Activity.call_id.like(prefix + "%"))
    return rows


def assert_whole(row: dict[str, Any]) -> None:
    """A logged call carries everything its one create sent: nothing is half-written."""
    number = int(row["call_id"].removeprefix("crash-"))
    assert row["direction"] == "inbound", row
    assert row["status"] == "answered", row
    assert row["answered_at"] is not None, row
    assert row["from_number"] == f"+1415555{number:04d}", row
    assert row["to_number"] == "+14155550000", row
    assert row["subject"] == f"call {number}", row
    started = datetime.fromtimestamp((CALL_START_MS + number) / 1000, UTC)
    assert row["started_at"] == started, row


async def crash_and_retry(tmp_path: Path, calls: int, connections: int) -> None:
    server = LiveServer(tmp_path)
    server.start()
    try:
        key = server.api_key("ringotel")
        # Idle connections expire before the server's idle timeout (see test_mixed_load).
        limits = httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2
        )
        async with httpx.AsyncClient(limits=limits, timeout=120) as http:
            document = (
                await http.get(f"{server.url}/ringotel/integration.json", params={"auth": "bearer"})
            ).json()
            ringotel = Ringotel(http, document, {"API key": key})
            answered = await log_calls(ringotel, range(calls), kill_after=calls // 4, server=server)
        assert calls // 4 <= len(answered) < calls, "the kill came too late to test anything"

        rows = await logged()
        by_call = {row["call_id"]: row for row in rows}
        assert len(by_call) == len(rows)  # one row per call_id, whatever happened
        for call_id, activity_id in answered.items():
            assert call_id in by_call, f"{call_id} was answered but is not stored"
            assert str(by_call[call_id]["id"]) == activity_id
        for row in rows:
            assert_whole(row)

        server.start()
        async with httpx.AsyncClient(limits=limits, timeout=120) as http:
            ringotel = Ringotel(http, document, {"API key": key})
            retried = await log_calls(ringotel, range(calls), kill_after=None, server=server)
        assert len(retried) == calls
        for call_id, activity_id in answered.items():
            assert retried[call_id] == activity_id, "a retry must answer the first activity"
        rows = await logged()
        assert sorted(row["call_id"] for row in rows) == sorted(
            call(n)["call_id"] for n in range(calls)
        )
        for row in rows:
            assert_whole(row)
            assert str(row["id"]) == retried[row["call_id"]]
        assert "Traceback" not in server.log(), server.log()
    finally:
        server.stop()


async def test_sigkill_during_100_concurrent_call_logs_keeps_every_answered_one(
    tmp_path: Path,
) -> None:
    await crash_and_retry(tmp_path, calls=100, connections=50)


@pytest.mark.slow
async def test_sigkill_during_1000_concurrent_call_logs_keeps_every_answered_one(
    tmp_path: Path,
) -> None:
    await crash_and_retry(tmp_path, calls=1000, connections=1000)
