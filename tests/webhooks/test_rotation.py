"""Rotating a signing secret: during the grace every webhook carries both signatures and
verifies with either secret; after it, only the new one. Bad input is refused by field."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from click.testing import CliRunner

from crm.cli import main
from tests.graphql_client import gql, gql_errors
from tests.webhooks.receiver import Receiver
from tests.webhooks.webhook_ops import log_call, register

ROTATE = """mutation($id: ID!, $keep: Int) {
  rotateWebhookSecret(id: $id, keepOldForSeconds: $keep) {
    secret endpoint { id oldSecretSignsUntil } } }"""
ROTATE_DEFAULT = """mutation($id: ID!) {
  rotateWebhookSecret(id: $id) { secret endpoint { oldSecretSignsUntil } } }"""
LIST = "{ webhookEndpoints { id oldSecretSignsUntil } }"


async def rotate(client: httpx.AsyncClient, endpoint: str, keep: int | None) -> str:
    data = await gql(client, ROTATE, {"id": endpoint, "keep": keep})
    secret: str = data["rotateWebhookSecret"]["secret"]
    return secret


async def test_during_the_grace_either_secret_verifies_and_after_it_only_the_new(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint, old = await register(client, receiver.url, "CALL_STARTED")
    new = await rotate(client, endpoint, 3600)
    assert new != old
    assert new.startswith("whsec_")
    receiver.secret = old
    await log_call(client, "rotate-1")
    first = (await receiver.wait_for(1))[0]
    signatures = first.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    assert first.verifies_with(old)
    assert first.verifies_with(new)

    newest = await rotate(client, endpoint, 0)  # the old one goes at once
    receiver.secret = newest
    await log_call(client, "rotate-2")
    second = (await receiver.wait_for(2))[1]
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    assert second.verifies_with(newest)
    assert not second.verifies_with(new)
    assert not second.verifies_with(old)


async def test_once_the_grace_is_over_only_the_new_secret_signs(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint, old = await register(client, receiver.url, "CALL_STARTED")
    receiver.secret = await rotate(client, endpoint, 1)
    for _ in range(200):  # the grace of one second runs out
        listed = (await gql(client, LIST))["webhookEndpoints"]
        if listed[0]["oldSecretSignsUntil"] is None:
            break
        await asyncio.sleep(0.05)
    assert listed[0]["oldSecretSignsUntil"] is None
    await log_call(client, "rotate-after")
    got = (await receiver.wait_for(1))[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    assert not got.verifies_with(old)


async def test_the_default_grace_is_a_day(client: httpx.AsyncClient) -> None:
    endpoint, _ = await register(client, "https://hooks.example.com/", "CALL_STARTED")
    data = await gql(client, ROTATE_DEFAULT, {"id": endpoint})
    assert data["rotateWebhookSecret"]["endpoint"]["oldSecretSignsUntil"] is not None


@pytest.mark.parametrize("keep", [-1, 30 * 86_400 + 1])
async def test_a_grace_out_of_bounds_is_refused_by_field(
    client: httpx.AsyncClient, keep: int
) -> None:
    endpoint, _ = await register(client, "https://hooks.example.com/", "CALL_STARTED")
    errors = await gql_errors(client, ROTATE, {"id": endpoint, "keep": keep})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "keepOldForSeconds"}
    listed = (await gql(client, LIST))["webhookEndpoints"]
    assert listed[0]["oldSecretSignsUntil"] is None


async def test_rotating_an_unknown_endpoint_is_not_found(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(
        client, ROTATE, {"id": "00000000-0000-4000-8000-000000000000", "keep": 0}
    )
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    errors = await gql_errors(client, ROTATE, {"id": "not-an-id", "keep": 0})
    assert errors[0]["extensions"]["code"] in ("NOT_FOUND", "VALIDATION")


def test_the_cli_rotates_and_prints_the_new_secret_once() -> None:
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["webhook", "create", "--url", "https://hooks.example.com/", "--event", "call.ended",
         "--json"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    rotated = runner.invoke(
        main, ["webhook", "rotate", created["id"], "--keep-old-for", "600", "--json"]
    )
    assert rotated.exit_code == 0, rotated.output
    record = json.loads(rotated.output)
    assert record["secret"].startswith("whsec_")
    assert record["secret"] != created["secret"]
    assert record["old_secret_signs_until"] is not None
    assert record["secret"] not in runner.invoke(main, ["webhook", "list"]).output
    dropped = json.loads(
        runner.invoke(
            main, ["webhook", "rotate", created["id"], "--keep-old-for", "0", "--json"]
        ).output
    )
    assert dropped["old_secret_signs_until"] is None
    bad = runner.invoke(main, ["webhook", "rotate", created["id"], "--keep-old-for", "-5"])
    assert bad.exit_code == 2
    assert "--keep-old-for" in bad.output
    unknown = runner.invoke(main, ["webhook", "rotate", "00000000-0000-4000-8000-000000000000"])
    assert unknown.exit_code == 1
    assert "no webhook endpoint with id" in unknown.output


async def test_two_rotations_at_once_keep_both_new_secrets_signing(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint, original = await register(client, receiver.url, "CALL_STARTED")
    first, second = await asyncio.gather(
        rotate(client, endpoint, 3600), rotate(client, endpoint, 3600)
    )
    receiver.secret = first
    await log_call(client, "rotate-twice")
    got = (await receiver.wait_for(1))[0]
    # One is the secret now, the other the old one in its grace; neither was lost.
    assert got.verifies_with(first)
    assert got.verifies_with(second)
    assert not got.verifies_with(original)
