"""The GraphQL operations the webhook tests run, and a call logged through them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.graphql_client import gql

CREATE_ENDPOINT = """
mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url eventTypes enabled } }
}"""

DELIVERIES = """
query($state: WebhookDeliveryState) {
  webhookDeliveries(state: $state, first: 100) {
    id webhookId eventType state attemptCount lastError
    attempts { statusCode error latencyMs }
  }
}"""

CREATE_CALL = """
mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { id } } }"""

SET_STATUS = """
mutation($id: ID!, $status: ActivityStatus!) { setActivityStatus(id: $id, status: $status) { id } }
"""


async def register(
    client: httpx.AsyncClient, url: str, *event_types: str, **more: Any
) -> tuple[str, str]:
    """Register an endpoint for `event_types` (GraphQL's names); its id and secret."""
    data = await gql(
        client,
        CREATE_ENDPOINT,
        {"input": {"url": url, "eventTypes": list(event_types), **more}},
    )
    created = data["createWebhookEndpoint"]
    return created["endpoint"]["id"], created["secret"]


async def log_call(client: httpx.AsyncClient, call_id: str, *statuses: str) -> str:
    """Log a call and move it through `statuses`; its id."""
    data = await gql(client, CREATE_CALL, {"input": {"callId": call_id, "direction": "INBOUND"}})
    activity_id: str = data["createActivity"]["activity"]["id"]
    for status in statuses:
        await gql(client, SET_STATUS, {"id": activity_id, "status": status})
    return activity_id


async def deliveries(client: httpx.AsyncClient, state: str | None = None) -> list[dict[str, Any]]:
    data = await gql(client, DELIVERIES, {"state": state})
    found: list[dict[str, Any]] = data["webhookDeliveries"]
    return found
