"""The worker's hourly prune: attempts older than a week go (their deliveries stay), and
so do rotated-out secrets whose grace is over."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from litestar import Litestar

from crm.domain.validation import as_utc
from crm.tables import WebhookEndpoint
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import settled
from tests.webhooks.test_rotation import rotate
from tests.webhooks.webhook_ops import deliveries, log_call, register


async def test_old_attempts_go_and_their_deliveries_stay(
    client: httpx.AsyncClient, receiver: Receiver, app: Litestar
) -> None:
    _, receiver.secret = await register(client, receiver.url, "CALL_STARTED")
    await log_call(client, "prune-1")
    await settled(client, 1, "DELIVERED")
    service = app.state.services.webhooks
    await service.prune_attempts(datetime.now(UTC) - timedelta(days=7))
    assert len((await deliveries(client))[0]["attempts"]) == 1  # a recent one stays
    await service.prune_attempts(datetime.now(UTC) + timedelta(seconds=1))
    kept = await deliveries(client)
    assert [(d["state"], d["attempts"]) for d in kept] == [("DELIVERED", [])]


async def test_a_secret_whose_grace_is_over_is_forgotten(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    endpoint, _ = await register(client, "https://hooks.example.com/", "CALL_STARTED")
    await rotate(client, endpoint, 1)
    other, _ = await register(client, "https://hooks2.example.com/", "CALL_STARTED")
    await rotate(client, other, 3600)
    query = WebhookEndpoint.objects().where(WebhookEndpoint.id == uuid.UUID(endpoint))
    row = await query.first()
    assert row is not None
    assert row.previous_secret_until is not None
    grace_left = as_utc(row.previous_secret_until) - datetime.now(UTC)
    await asyncio.sleep(max(grace_left.total_seconds(), 0) + 0.05)  # the grace runs out
    await app.state.services.webhooks.prune_attempts(datetime.now(UTC))
    rows = {str(r.id): r for r in await WebhookEndpoint.objects()}
    assert rows[endpoint].previous_secret is None
    assert rows[endpoint].previous_secret_until is None
    assert rows[other].previous_secret is not None  # still in its grace
