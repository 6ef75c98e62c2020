"""Webhooks reach a real receiver signed, in order, despite failures, once accepted."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
from litestar import Litestar

from crm.domain.webhooks import TargetRules, new_secret
from crm.webhook_sender import HttpSender
from tests.graphql_client import gql
from tests.live_server import free_port
from tests.webhooks.receiver import HANG, Receiver, running_receiver
from tests.webhooks.webhook_ops import deliveries, log_call, register

RETRY = """mutation($id: ID!) { retryWebhookDelivery(id: $id) { id state } }"""
ALL_CALL_EVENTS = ("CALL_STARTED", "CALL_ANSWERED", "CALL_ENDED")


async def settled(client: httpx.AsyncClient, count: int, state: str) -> list[dict[str, Any]]:
    """Wait until `count` deliveries are in `state` (the worker records them after sending)."""
    for _ in range(600):
        found = await deliveries(client, state)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {count} {state}: {await deliveries(client)}")


async def test_a_call_arrives_signed_in_order_as_graphql_names_it(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, *ALL_CALL_EVENTS)
    call = await log_call(client, "hook-1", "ANSWERED", "COMPLETED")
    got = await receiver.wait_for(3)
    assert [r.body["type"] for r in got if r.body] == [
        "call.started",
        "call.answered",
        "call.ended",
    ]
    first = got[0].body
    assert first is not None
    assert first["data"]["id"] == call
    assert first["data"]["callId"] == "hook-1"
    assert got[-1].body is not None
    assert got[-1].body["data"]["status"] == "COMPLETED"
    assert len({r.webhook_id for r in got}) == 3
    assert all(r.webhook_id.startswith("msg_") for r in got)
    done = await settled(client, 3, "DELIVERED")
    assert all(d["attemptCount"] == 1 and d["attempts"][0]["statusCode"] == 200 for d in done)


async def test_only_the_event_types_an_endpoint_asked_for_are_sent(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, "CALL_ENDED")
    await log_call(client, "hook-only-ended", "ANSWERED", "COMPLETED")
    got = await receiver.wait_for(1)
    await settled(client, 1, "DELIVERED")
    assert [r.body["type"] for r in got if r.body] == ["call.ended"]
    assert len(await deliveries(client)) == 1


async def test_a_receiver_answering_503_for_a_while_gets_every_event_once_accepted(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, *ALL_CALL_EVENTS)
    receiver.answers = [503] * 5
    for n in range(3):
        await log_call(client, f"hook-503-{n}", "ANSWERED", "COMPLETED")
    got = await receiver.wait_for(9)
    await settled(client, 9, "DELIVERED")
    ids = [r.webhook_id for r in got]
    assert len(ids) == len(set(ids)) == 9, "an event was accepted twice"
    refused = {r.webhook_id for r in receiver.requests if r.status == 503}
    assert refused, "the receiver refused nothing"
    assert refused <= set(ids), "a retry came under another webhook-id"
    for n in range(3):  # each call's events in the order they happened
        mine = [
            r.body["type"] for r in got if r.body and r.body["data"]["callId"] == f"hook-503-{n}"
        ]
        assert mine == ["call.started", "call.answered", "call.ended"]


async def test_a_receiver_that_hangs_past_the_timeout_is_tried_again(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, "CALL_STARTED")
    receiver.answers, receiver.hang_s = [HANG], 2.5  # the attempt's timeout is 1 s
    await log_call(client, "hook-hang")
    done = await settled(client, 1, "DELIVERED")
    errors = [a["error"] for a in done[0]["attempts"]]
    assert errors[-1] == "no answer within 1 s"
    assert errors[0] is None
    assert {r.webhook_id for r in receiver.requests} == {done[0]["webhookId"]}


async def test_out_of_attempts_is_a_dead_letter_an_admin_can_retry(
    client: httpx.AsyncClient, receiver: Receiver, app: Litestar
) -> None:
    _, receiver.secret = await register(client, receiver.url, "CALL_STARTED")
    receiver.default = 500
    # Three attempts at most: the test app's policy, set on the running service.
    service = app.state.services.webhooks
    service.policy = dataclasses.replace(service.policy, max_attempts=3)
    await log_call(client, "hook-dead")
    dead = await settled(client, 1, "FAILED")
    assert dead[0]["attemptCount"] == 3
    assert dead[0]["lastError"] == "answered 500"
    assert not receiver.delivered
    receiver.default = 200
    retried = await gql(client, RETRY, {"id": dead[0]["id"]})
    assert retried["retryWebhookDelivery"]["state"] == "PENDING"
    await settled(client, 1, "DELIVERED")
    assert [r.webhook_id for r in receiver.delivered] == [dead[0]["webhookId"]]


async def test_a_receiver_down_then_up_gets_the_event(client: httpx.AsyncClient) -> None:
    port = free_port()
    secret = new_secret()
    await register(client, f"http://127.0.0.1:{port}/hook", "CALL_STARTED", secret=secret)
    await log_call(client, "hook-up")
    for _ in range(600):  # nothing listens yet: attempts fail to connect
        pending = await deliveries(client, "PENDING")
        if pending and pending[0]["attemptCount"] >= 2:
            break
        await asyncio.sleep(0.05)
    assert pending[0]["lastError"]
    assert "Connect" in pending[0]["lastError"]
    with running_receiver(port) as receiver:
        receiver.secret = secret
        got = await receiver.wait_for(1)
        await settled(client, 1, "DELIVERED")
    assert got[0].webhook_id == pending[0]["webhookId"]


async def test_a_loopback_target_is_refused_when_no_setting_allows_it(
    receiver: Receiver,
) -> None:
    sender = HttpSender(TargetRules(), timeout_s=1.0)
    try:
        result = await sender.send(receiver.url, ["whsec_" + "A" * 43 + "="], "msg_x", "{}")
    finally:
        await sender.close()
    assert not result.ok
    assert result.error is not None
    assert "loopback" in result.error
    assert receiver.requests == []
