"""Real `crm serve` processes: a server killed (SIGKILL) after the commit, or during an
attempt, delivers after restart; two servers on one PostgreSQL database deliver each
webhook once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.conftest import IS_POSTGRES
from tests.live_server import LiveServer, live_server, own_sqlite
from tests.webhooks.receiver import HOLD, Receiver
from tests.webhooks.webhook_ops import deliveries, log_call, register

LOOPBACK_FAST = {
    "CRM_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
    "CRM_WEBHOOK_POLL_S": "0.1",
    "CRM_WEBHOOK_BACKOFF_BASE_S": "0.05",
    "CRM_WEBHOOK_BACKOFF_MAX_S": "0.2",
    "CRM_WEBHOOK_TIMEOUT_S": "2",
}
"""Loopback allowed explicitly, for these tests only."""


def admin(server: LiveServer) -> httpx.AsyncClient:
    key = server.api_key("admin", "crm:read", "crm:write")
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"})


async def test_a_server_killed_after_the_commit_delivers_after_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    database = own_sqlite(tmp_path) if not IS_POSTGRES else None
    extra = {"database_url": database} if database else {}
    # The first server commits calls but delivers nothing (its worker is off): what it
    # wrote is only in the database when it is killed.
    server = LiveServer(tmp_path, **extra, **LOOPBACK_FAST, CRM_WEBHOOK_WORKER="false")
    server.start()
    try:
        async with admin(server) as client:
            _, receiver.secret = await register(client, receiver.url, "CALL_STARTED")
            for n in range(5):
                await log_call(client, f"crash-hook-{n}")
        server.kill()
        assert receiver.requests == []
        server.env["CRM_WEBHOOK_WORKER"] = "true"
        server.start()
        got = await receiver.wait_for(5)
    finally:
        server.stop()
    calls = sorted(r.body["data"]["callId"] for r in got if r.body)
    assert calls == [f"crash-hook-{n}" for n in range(5)]


async def test_a_server_killed_during_an_attempt_sends_it_again_after_restart_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    database = own_sqlite(tmp_path) if not IS_POSTGRES else None
    extra = {"database_url": database} if database else {}
    # An attempt may wait 5 s for its answer (the kill comes well before), and the lease
    # is just longer, so that the restarted server takes the webhook over soon after.
    quick_lease = {**LOOPBACK_FAST, "CRM_WEBHOOK_TIMEOUT_S": "5", "CRM_WEBHOOK_LEASE_S": "6"}
    server = LiveServer(tmp_path, **extra, **quick_lease)
    server.start()
    try:
        async with admin(server) as client:
            _, receiver.secret = await register(client, receiver.url, "CALL_STARTED")
            receiver.answers = [HOLD]  # the first attempt gets no answer at all
            await log_call(client, "killed-mid-attempt")
            held = await receiver.wait_for_arrival(1)
            server.kill()  # while the receiver holds the request open
        server.start()
        got = await receiver.wait_for(1)
        async with admin(server) as client:
            for _ in range(600):
                done = await deliveries(client, "DELIVERED")
                if done:
                    break
                await asyncio.sleep(0.05)
    finally:
        server.stop()
    assert [r.webhook_id for r in got] == held, "the retry came under another webhook-id"
    assert done[0]["webhookId"] == held[0]
    # The killed attempt left no record; the one after the restart is the one success.
    assert [a["statusCode"] for a in done[0]["attempts"]] == [200]
    assert done[0]["attemptCount"] == 1
    assert len(receiver.delivered) == 1


@pytest.mark.skipif(not IS_POSTGRES, reason="several servers share PostgreSQL only")
async def test_two_servers_deliver_each_webhook_once(tmp_path: Path, receiver: Receiver) -> None:
    with (
        live_server(tmp_path / "a", **LOOPBACK_FAST) as one,
        live_server(tmp_path / "b", **LOOPBACK_FAST) as two,
    ):
        async with admin(one) as first, admin(two) as second:
            _, receiver.secret = await register(
                first, receiver.url, "CALL_STARTED", "CALL_ANSWERED", "CALL_ENDED"
            )
            await asyncio.gather(
                *(
                    log_call(first if n % 2 else second, f"pair-{n}", "ANSWERED", "COMPLETED")
                    for n in range(20)
                )
            )
            got = await receiver.wait_for(60)
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 60, "a webhook was sent twice"
    for n in range(20):
        mine = [r.body["type"] for r in got if r.body and r.body["data"]["callId"] == f"pair-{n}"]
        assert mine == ["call.started", "call.answered", "call.ended"]
