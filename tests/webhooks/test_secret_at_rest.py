"""Signing secrets are stored encrypted; one sealed under another CRM_SECRET_KEY fails its
attempts with an error saying so, and a rotation mends it."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from crm.domain.secret_box import SecretBox, SecretUnreadable
from crm.settings import Settings
from crm.tables import WebhookEndpoint
from tests.graphql_client import gql
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import settled
from tests.webhooks.test_rotation import rotate
from tests.webhooks.webhook_ops import deliveries, log_call, register


async def test_the_stored_secret_is_sealed_under_the_secret_key(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    endpoint, secret = await register(client, "https://hooks.example.com/", "CALL_STARTED")
    row = await WebhookEndpoint.objects().where(WebhookEndpoint.id == uuid.UUID(endpoint)).first()
    assert row is not None
    assert secret not in row.secret
    assert SecretBox(settings.signing_key()).open(row.secret) == secret
    with pytest.raises(SecretUnreadable):
        SecretBox("another key of at least thirty-two bytes").open(row.secret)


async def test_a_secret_sealed_under_another_key_fails_plainly_until_rotated(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint, secret = await register(client, receiver.url, "CALL_STARTED")
    # What a changed CRM_SECRET_KEY leaves: a secret this app's key does not open.
    foreign = SecretBox("the key this database had before, 32+ bytes").seal(secret)
    await WebhookEndpoint.update({WebhookEndpoint.secret: foreign}).where(
        WebhookEndpoint.id == uuid.UUID(endpoint)
    )
    await log_call(client, "sealed-elsewhere")
    for _ in range(600):
        pending = await deliveries(client, "PENDING")
        if pending and pending[0]["attemptCount"] >= 1:
            break
        await asyncio.sleep(0.05)
    assert "CRM_SECRET_KEY" in pending[0]["lastError"]
    assert receiver.requests == []
    receiver.secret = await rotate(client, endpoint, 3600)  # the old one cannot sign
    got = await receiver.wait_for(1)
    assert len(got[0].headers["webhook-signature"].split(" ")) == 1
    await settled(client, 1, "DELIVERED")
    assert (await gql(client, "{ webhookEndpoints { id } }"))["webhookEndpoints"]
