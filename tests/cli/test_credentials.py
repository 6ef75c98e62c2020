"""`crm client` and `crm apikey`: secrets printed once, working at once, revoked at once."""

from __future__ import annotations

import asyncio
import json

import httpx
from click.testing import CliRunner, Result
from litestar import Litestar

from crm.cli import main
from crm.engine import bind_tables
from crm.tables import ApiKey, OAuthClient

USERS = {"query": "{ users { nodes { id } } }"}


async def run_cli(app: Litestar, *args: str) -> Result:
    """Run the command in a thread (it starts its own event loop, as in a shell)."""
    result = await asyncio.to_thread(CliRunner().invoke, main, list(args))
    bind_tables(app.state.engine)  # the command bound the tables to its own, closed engine
    return result


async def forbidden(http: httpx.AsyncClient, **auth: object) -> bool:
    body = (await http.post("/graphql", json=USERS, **auth)).json()  # type: ignore[arg-type]
    return bool(body.get("errors")) and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_apikey_create_prints_the_key_once_and_revoke_ends_it(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    created = await run_cli(
        app, "apikey", "create", "--name", "Tools", "--scope", "crm:read", "--json"
    )
    assert created.exit_code == 0, created.output
    record = json.loads(created.output)
    assert record["scope"] == "crm:read"
    key = record["api_key"]
    row = await ApiKey.objects().where(ApiKey.key_id == record["key_id"]).first()
    assert row is not None
    assert key not in row.secret_hash
    assert len(row.secret_hash) == 64
    headers = {"Authorization": f"Bearer {key}"}
    assert not await forbidden(anonymous, headers=headers)

    revoked = await run_cli(app, "apikey", "revoke", record["key_id"])
    assert revoked.exit_code == 0, revoked.output
    assert key not in revoked.output
    assert await forbidden(anonymous, headers=headers)


async def test_client_create_prints_id_and_secret_and_revoke_ends_basic(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    created = await run_cli(
        app,
        "client",
        "create",
        "--name",
        "Ringotel",
        "--redirect-uri",
        "https://a.test/cb",
        "--redirect-uri",
        "https://b.test/cb",
        "--json",
    )
    assert created.exit_code == 0, created.output
    record = json.loads(created.output)
    assert record["redirect_uris"] == ["https://a.test/cb", "https://b.test/cb"]
    assert record["scope"] == "crm:read crm:write ringotel"  # all but admin by default
    basic = httpx.BasicAuth(record["client_id"], record["client_secret"])
    assert not await forbidden(anonymous, auth=basic)
    row = await OAuthClient.objects().where(OAuthClient.client_id == record["client_id"]).first()
    assert row is not None
    assert record["client_secret"] not in row.secret_hash

    revoked = await run_cli(app, "client", "revoke", record["client_id"])
    assert revoked.exit_code == 0, revoked.output
    assert await forbidden(anonymous, auth=basic)


async def test_bad_credential_input_names_the_field(app: Litestar) -> None:
    cases = [
        (("apikey", "create", "--name", "x", "--scope", "everything"), "scopes:"),
        (("client", "create", "--name", "x", "--redirect-uri", "not a url"), "redirect_uris.0:"),
        (("client", "create", "--name", " ", "--redirect-uri", "https://a.test/"), "name:"),
        (("client", "revoke", "crmc_nobody"), "id: no client"),
        (("apikey", "revoke", "nobody"), "id: no API key"),
    ]
    for args, field in cases:
        result = await run_cli(app, *args)
        assert result.exit_code == 1, (args, result.output)
        assert field in result.output, (args, result.output)
    assert await OAuthClient.count() == 0
    assert await ApiKey.count() == 0
