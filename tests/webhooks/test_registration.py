"""Registering endpoints: admins only, the secret shown once, hostile input refused by field."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from crm.domain.principal import Scope
from tests.graphql_client import gql, gql_errors
from tests.webhooks.webhook_ops import CREATE_ENDPOINT, register

LIST = "{ webhookEndpoints { id url eventTypes enabled } }"
UPDATE = """mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(id: $id, input: $input) { id enabled eventTypes } }"""
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }"


async def test_an_endpoint_is_listed_without_its_secret_disabled_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    endpoint, secret = await register(client, "https://hooks.example.com/in", "CALL_ENDED")
    assert secret.startswith("whsec_")
    listed = (await gql(client, LIST))["webhookEndpoints"]
    assert listed == [
        {
            "id": endpoint,
            "url": "https://hooks.example.com/in",
            "eventTypes": ["CALL_ENDED"],
            "enabled": True,
        }
    ]
    changed = await gql(client, UPDATE, {"id": endpoint, "input": {"enabled": False}})
    assert changed["updateWebhookEndpoint"]["enabled"] is False
    await gql(client, DELETE, {"id": endpoint})
    assert (await gql(client, LIST))["webhookEndpoints"] == []


@pytest.mark.parametrize(
    ("url", "secret", "field"),
    [
        ("ftp://hooks.example.com/", None, "url"),
        ("not a url", None, "url"),
        ("https://user:pw@hooks.example.com/", None, "url"),
        ("http://10.0.0.7/hook", None, "url"),
        ("http://169.254.169.254/latest/meta-data", None, "url"),
        ("http://[::1]:8080/", None, "url"),
        ("http://[::ffff:10.0.0.1]/", None, "url"),
        ("https://hooks.example.com/\x00", None, "url"),
        ("https://hooks.example.com/" + "a" * 3000, None, "url"),
        ("https://hooks.example.com/", "whsec_" + "A" * 5000, "secret"),
        ("https://hooks.example.com/", "whsec_!!!notbase64", "secret"),
        ("https://hooks.example.com/", "whsec_AAAA", "secret"),
        ("https://hooks.example.com/", "plain-secret-without-prefix-0123456789", "secret"),
    ],
)
async def test_hostile_registrations_are_refused_by_field(
    client: httpx.AsyncClient, url: str, secret: str | None, field: str
) -> None:
    payload = {"url": url, "eventTypes": ["CALL_STARTED"], "secret": secret}
    errors = await gql_errors(client, CREATE_ENDPOINT, {"input": payload})
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert errors[0]["extensions"]["field"] == field
    assert (await gql(client, LIST))["webhookEndpoints"] == []


async def test_no_event_type_is_refused(client: httpx.AsyncClient) -> None:
    payload = {"url": "https://hooks.example.com/", "eventTypes": []}
    errors = await gql_errors(client, CREATE_ENDPOINT, {"input": payload})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "eventTypes"}


async def test_endpoints_need_the_admin_scope(anonymous: httpx.AsyncClient, app: Litestar) -> None:
    _, key = await app.state.services.credentials.create_api_key(
        "no admin", [Scope.READ, Scope.WRITE]
    )
    payload = {"url": "https://hooks.example.com/", "eventTypes": ["CALL_STARTED"]}
    headers = {"Authorization": f"Bearer {key}"}
    errors = await gql_errors(anonymous, CREATE_ENDPOINT, {"input": payload}, headers=headers)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    errors = await gql_errors(anonymous, LIST, headers=headers)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
