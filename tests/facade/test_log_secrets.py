"""No secret reaches the log: a whole session against `crm serve`, with every kind of
secret in bodies, headers and query strings, and the server's log searched for each."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from graphql import GraphQLError, Source
from litestar import Litestar
from litestar.testing import RequestFactory

from crm.domain.principal import ALL_SCOPES
from crm.domain.users import UserInput
from crm.graphql.schema import schema
from facade.errors import unexpected_error_handler
from tests.auth_tools import authorize_url, exchange_code, sign_in_form
from tests.conftest import OAUTH_REDIRECT_URI
from tests.live_server import live_server

EMAIL = "ann@example.com"
HOOK = "/ringotel/v1/users"


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_full_session_leaves_no_secret_in_the_server_log(
    tmp_path: Path, app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    services = app.state.services
    password = "pw-" + secrets.token_urlsafe(12)
    await services.users.create(UserInput(email=EMAIL, password=password, is_admin=True))
    client, client_secret = await services.credentials.create_client(
        "ringotel", [OAUTH_REDIRECT_URI], ALL_SCOPES
    )
    _, api_key = await services.credentials.create_api_key("ringotel", ALL_SCOPES)
    client_id = str(client.client_id)
    wrong_password = "wrong-" + secrets.token_urlsafe(12)
    inline_password = "inline-" + secrets.token_urlsafe(12)
    variable_password = "variable-" + secrets.token_urlsafe(12)
    leaked: dict[str, str] = {
        "password": password,
        "wrong password": wrong_password,
        "inline password": inline_password,
        "variable password": variable_password,
        "client secret": client_secret,
        "api key": api_key,
        "api key secret": api_key.removeprefix("crmk_").partition("_")[2],
    }

    with live_server(tmp_path, CRM_LOG_FORMAT="json") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            authorize = authorize_url(
                client_id,
                scope="ringotel crm:read",
                state="st",
                client_secret=client_secret,  # a careless client puts it in the URL
            )
            form = await sign_in_form(http, authorize) | {"email": EMAIL, "decision": "allow"}
            again = await http.post("/oauth/authorize", data=form | {"password": wrong_password})
            assert again.status_code == 200
            signed_in = await http.post("/oauth/authorize", data=form | {"password": password})
            assert signed_in.status_code == 303, signed_in.text
            code = parse_qs(urlsplit(signed_in.headers["location"]).query)["code"][0]
            leaked["authorization code"] = code

            # The code and secret in the query string (refused), then in the body.
            in_query = await http.post(
                "/oauth/token?"
                + urlencode(
                    {
                        "grant_type": "authorization_code",
                        "code": code,
                        "client_id": client_id,
                        "client_secret": client_secret,
                    }
                )
            )
            assert in_query.status_code in (400, 401)
            tokens = await exchange_code(http, code, (client_id, client_secret))
            assert tokens.status_code == 200, tokens.text
            leaked["access token"] = tokens.json()["access_token"]
            leaked["refresh token"] = tokens.json()["refresh_token"]
            refreshed = await http.post(
                "/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": leaked["refresh token"],
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
            )
            assert refreshed.status_code == 200, refreshed.text
            leaked["refreshed access token"] = refreshed.json()["access_token"]
            leaked["refreshed refresh token"] = refreshed.json()["refresh_token"]
            access = leaked["refreshed access token"]
            assert (await http.get(HOOK, headers=bearer(access))).status_code == 200
            assert (await http.get(f"{HOOK}?access_token={access}")).status_code == 403
            assert (await http.get(HOOK, headers=bearer(api_key))).status_code == 200
            assert (await http.get(f"{HOOK}?api_key={api_key}")).status_code == 403
            wrong_basic = await http.get(HOOK, headers=basic(client_id, client_secret + "x"))
            assert wrong_basic.status_code == 403
            assert (
                await http.get(HOOK, headers=basic(client_id, client_secret))
            ).status_code == 200

            inline = await http.post(
                f"/graphql?token={access}",
                json={
                    "query": 'mutation { createUser(input: {email: "bob@example.com", '
                    f'password: "{inline_password}"}}) {{ id }} }}'
                },
                headers=bearer(api_key),
            )
            assert inline.status_code == 200
            assert "errors" not in inline.json(), inline.text
            variables = await http.post(
                "/graphql",
                json={
                    "query": "mutation($p: String!) { createUser(input: "
                    '{email: "cy@example.com", password: $p}) { id } }',
                    "variables": {"p": variable_password},
                },
                headers=bearer(access),
            )
            assert variables.status_code == 200

            replay = await http.post(
                f"/oauth/token?refresh_token={leaked['refresh token']}",
                data={"grant_type": "refresh_token", "refresh_token": leaked["refresh token"]},
                headers=basic(client_id, client_secret),
            )
            assert replay.status_code == 400  # a replay: refused, the family ends

            revoked = await http.post(
                f"/oauth/revoke?token={leaked['refreshed refresh token']}",
                data={"token": leaked["refreshed refresh token"]},
                headers=basic(client_id, client_secret),
            )
            assert revoked.status_code == 200
    log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["event"] == "request"]
    assert {"route": "/oauth/token", "status": 200} in [
        {"route": line["route"], "status": line["status"]} for line in requests
    ]  # the request log was on
    found = [name for name, secret in leaked.items() if secret in log]
    assert found == [], f"in the log: {found}"
    assert "/oauth/authorize" in {line["path"] for line in requests}
    assert not [line for line in requests if "?" in line["path"]]  # never a query string
    with_key = [line for line in requests if line.get("credential_kind") == "apikey"]
    assert with_key  # who called is named by the credential's id, never by its secret


def test_an_unexpected_graphql_error_is_logged_without_the_document(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "inline-" + secrets.token_urlsafe(12)
    document = (
        f'mutation {{ createUser(input: {{email: "a@b.c", password: "{secret}"}}) {{ id }} }}'
    )
    try:
        raise RuntimeError("the disk is full")
    except RuntimeError as exc:
        cause = exc
    error = GraphQLError(
        "the disk is full",
        source=Source(document),
        positions=[11],
        path=["createUser"],
        original_error=cause,
    )
    assert secret in str(error)  # graphql-core's text quotes the document around the error
    with caplog.at_level(logging.DEBUG):
        schema.process_errors([error], None)
    logged = "\n".join(
        record.getMessage() + (str(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert "unexpected error in GraphQL operation - at createUser: RuntimeError" in logged
    assert "the disk is full" in logged
    assert "test_log_secrets.py" in logged  # where it was raised
    assert secret not in logged
    assert secret not in caplog.text


def test_an_unexpected_rest_error_is_logged_without_the_drivers_detail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A driver's error names the failing row after its first line (PostgreSQL's DETAIL);
    the REST facade's catch-all logs the first line and where it was raised, not the row."""
    secret = "$argon2id$v=19$m=65536,t=3,p=4$" + secrets.token_urlsafe(16)
    try:
        raise RuntimeError(f"a check failed\nDETAIL:  Failing row contains ({secret}).")
    except RuntimeError as exc:
        error = exc
    # RequestFactory builds an app, whose logging set-up replaces the root's handlers
    # (caplog's among them): listen on the facade's logger itself.
    request = RequestFactory().get("/ringotel/v1/users")
    logger = logging.getLogger("crm.facade")
    logger.addHandler(caplog.handler)
    try:
        response = unexpected_error_handler(request, error)
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert "unexpected error on GET /ringotel/v1/users: RuntimeError: a check failed" in caplog.text
    assert "test_log_secrets.py" in caplog.text  # where it was raised
    assert secret not in caplog.text
