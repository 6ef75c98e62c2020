"""The authorization page and the token endpoint's refusals, by hand-written requests."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from litestar import Litestar

from crm.domain.users import UserInput
from crm.domain.validation import now
from crm.settings import Settings
from crm.tables import AuthorizationCode
from facade.auth import csrf
from tests.auth_tools import (
    authorize_url,
    client_credentials,
    exchange_code,
    from_address,
    hidden_fields,
    sign_in,
    token_response,
)
from tests.conftest import OAUTH_REDIRECT_URI, make_settings

EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"
MAX_FAILURES = 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, auth_max_failures=MAX_FAILURES)


@pytest.fixture
async def person(app: Litestar, anonymous: httpx.AsyncClient) -> None:
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))


def query_of(response: httpx.Response) -> dict[str, list[str]]:
    location = response.headers["location"]
    assert location.startswith(OAUTH_REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


async def test_page_names_the_client_and_scopes_and_posts_decision_buttons(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    page = await anonymous.get(authorize_url(oauth_client[0], scope="ringotel crm:read"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-frame-options"] == "DENY"
    assert 'name="decision" value="allow"' in page.text
    assert 'name="decision" value="deny"' in page.text
    assert "crm:read" in page.text
    assert hidden_fields(page.text)["state"] == "xyz"


async def test_deny_redirects_with_access_denied_and_state(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], person: None
) -> None:
    answer = await sign_in(anonymous, authorize_url(oauth_client[0]), EMAIL, "", "deny")
    assert answer.status_code == 303
    assert query_of(answer) == {"error": ["access_denied"], "state": ["xyz"]}


async def test_wrong_password_shows_the_page_again_without_a_code(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], person: None
) -> None:
    answer = await sign_in(anonymous, authorize_url(oauth_client[0]), EMAIL, "wrong password")
    assert answer.status_code == 200
    assert "location" not in answer.headers
    assert "Wrong email or password" in answer.text
    assert "wrong password" not in answer.text  # the password is never echoed
    assert await AuthorizationCode.count() == 0


async def test_failed_sign_ins_are_rate_limited_per_address(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], person: None
) -> None:
    url = authorize_url(oauth_client[0])
    for _ in range(MAX_FAILURES):
        assert (await sign_in(anonymous, url, EMAIL, "wrong password")).status_code == 200
    blocked = await sign_in(anonymous, url, EMAIL, PASSWORD)  # even the right one, for now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert await AuthorizationCode.count() == 0


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        ("crmc_unknown", OAUTH_REDIRECT_URI),
        (None, OAUTH_REDIRECT_URI),
        ("known", "https://evil.test/callback"),
        ("known", OAUTH_REDIRECT_URI + "/"),
        ("known", None),
    ],
)
async def test_bad_client_or_redirect_uri_shows_an_error_and_never_redirects(
    anonymous: httpx.AsyncClient,
    oauth_client: tuple[str, str],
    client_id: str | None,
    redirect_uri: str | None,
) -> None:
    client = oauth_client[0] if client_id == "known" else client_id
    url = "/oauth/authorize?" + urlencode(
        {
            k: v
            for k, v in {
                "response_type": "code",
                "client_id": client,
                "redirect_uri": redirect_uri,
                "state": "s",
            }.items()
            if v is not None
        }
    )
    token = "t" * 43  # a well-formed form token, in the cookie and the form as the page sets them
    anonymous.cookies.set(csrf.COOKIE, token, domain="crm.test", path="/oauth")
    form = {**parse_qs(urlsplit(url).query), csrf.FIELD: [token]}
    for response in (
        await anonymous.get(url),
        await anonymous.post(url.split("?")[0], data=form),
    ):
        assert response.status_code == 400
        assert "location" not in response.headers


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "everything"}, "invalid_scope"),
        ({"code_challenge": "abc", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ],
)
async def test_bad_authorization_parameters_redirect_with_the_error(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], params: dict[str, str], error: str
) -> None:
    response = await anonymous.get(authorize_url(oauth_client[0], **params))
    assert response.status_code == 303
    assert query_of(response)["error"] == [error]
    assert query_of(response)["state"] == ["xyz"]


async def test_scope_beyond_the_clients_is_refused(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    row, _ = await app.state.services.credentials.create_client(
        "narrow", [OAUTH_REDIRECT_URI], ["ringotel"]
    )
    response = await anonymous.get(authorize_url(row.client_id, scope="ringotel admin"))
    assert query_of(response)["error"] == ["invalid_scope"]


async def test_admin_scope_is_dropped_for_a_user_who_is_not_admin(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], person: None
) -> None:
    answer = await sign_in(
        anonymous, authorize_url(oauth_client[0], scope="ringotel admin"), EMAIL, PASSWORD
    )
    code = query_of(answer)["code"][0]
    token = await exchange_code(anonymous, code, oauth_client)
    assert token.json()["scope"] == "ringotel"


async def test_expired_code_is_refused(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], person: None
) -> None:
    answer = await sign_in(anonymous, authorize_url(oauth_client[0]), EMAIL, PASSWORD)
    code = query_of(answer)["code"][0]
    await AuthorizationCode.update(
        {AuthorizationCode.expires_at: now() - timedelta(seconds=1)}, force=True
    )
    token = await exchange_code(anonymous, code, oauth_client)
    assert token.status_code == 400
    assert token.json() == {"error": "invalid_grant", "error_description": "the code has expired"}


async def test_pkce_code_challenge_is_checked_with_s256(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str], person: None
) -> None:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    url = authorize_url(
        oauth_client[0],
        code_challenge=challenge.rstrip(b"=").decode(),
        code_challenge_method="S256",
    )
    code = query_of(await sign_in(anonymous, url, EMAIL, PASSWORD))["code"][0]
    token = await exchange_code(anonymous, code, oauth_client, code_verifier=verifier)
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "wrong", 401, "invalid_client"),
        ({}, "right", 400, "invalid_request"),
        ({"grant_type": "password"}, "right", 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "right", 400, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "nope"}, "right", 400, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "right", 400, "invalid_grant"),
        ({"grant_type": "client_credentials", "scope": "nonsense"}, "right", 400, "invalid_scope"),
        (
            {"grant_type": "client_credentials", "client_secret": "x"},
            "right",
            400,
            "invalid_request",
        ),
        ({"grant_type": ["client_credentials"] * 2}, "right", 400, "invalid_request"),
    ],
)
async def test_token_endpoint_errors_follow_rfc6749(
    anonymous: httpx.AsyncClient,
    oauth_client: tuple[str, str],
    data: dict[str, str | list[str]],
    auth: str | None,
    status: int,
    error: str,
) -> None:
    client_id, secret = oauth_client
    headers = {}
    if auth is not None:
        pair = f"{client_id}:{secret if auth == 'right' else auth}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    response = await anonymous.post("/oauth/token", data=data, headers=headers)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert secret not in response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_a_client_under_attack_refuses_addresses_that_failed_but_not_its_owner(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    client_id, secret = oauth_client
    for attempt in range(MAX_FAILURES + 2):
        async with from_address(app, f"10.0.0.{attempt + 1}") as attacker:
            assert await client_credentials(attacker, client_id, "wrong") == 401
    async with from_address(app, "10.0.0.1") as attacker:
        blocked = await token_response(attacker, client_id, "wrong again")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.headers["ratelimit-policy"] == f'"failures";q={MAX_FAILURES};w=300'
    assert blocked.headers["ratelimit"].startswith('"failures";r=0;t=')
    assert blocked.json()["error"] == "invalid_request"
    async with from_address(app, "10.9.9.9") as owner:
        assert await client_credentials(owner, client_id, secret) == 200


async def test_failed_token_requests_are_rate_limited_per_address_for_every_client(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    client_id, secret = oauth_client
    async with from_address(app, "10.1.1.1") as attacker:
        for attempt in range(MAX_FAILURES):
            assert await client_credentials(attacker, f"crmc_guess{attempt}", "wrong") == 401
        assert await client_credentials(attacker, client_id, "wrong") == 429
        # A generated secret cannot be guessed: the right one is never refused.
        assert await client_credentials(attacker, client_id, secret) == 200
    async with from_address(app, "10.2.2.2") as honest:
        assert await client_credentials(honest, client_id, secret) == 200


async def test_revoke_needs_client_authentication(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    response = await anonymous.post("/oauth/revoke", data={"token": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    missing = await anonymous.post("/oauth/revoke", data={}, auth=httpx.BasicAuth(*oauth_client))
    assert missing.json()["error"] == "invalid_request"
