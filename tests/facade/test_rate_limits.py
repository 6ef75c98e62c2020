"""Failure limits: a guesser is slowed, the owner is not locked out, forged addresses
count for nothing, and every refusal is a 429 with the rate-limit headers."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from crm.domain.principal import ALL_SCOPES
from crm.domain.users import UserInput
from crm.settings import Settings
from facade.app import create_app
from tests.auth_tools import (
    authorize_url,
    client_credentials,
    forge,
    from_address,
    sign_in_form,
    token_response,
)
from tests.conftest import make_settings
from tests.live_server import live_server

MAX_FAILURES = 3
EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"
HOOK = "/ringotel/v1/users"
USERS = {"query": "{ users { nodes { id } } }"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, auth_max_failures=MAX_FAILURES)


def browser_at(app: Litestar, address: str, cookies: httpx.Cookies) -> httpx.AsyncClient:
    """A browser at `address` holding `cookies` (a sign-in page's form token)."""
    browser = from_address(app, address)
    browser.cookies = cookies
    return browser


async def ann_and_a_sign_in_form(
    app: Litestar, browser: httpx.AsyncClient, client_id: str
) -> dict[str, str]:
    """Ann's account, and the hidden fields of a sign-in page `browser` opened for `client_id`."""
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))
    return await sign_in_form(browser, authorize_url(client_id))


async def wrong_guesses_from_forged_addresses(
    app: Litestar, peer: str, client_id: str, guesses: int
) -> None:
    """`guesses` wrong secrets from `peer`, each forwarded for another address; each a 401."""
    for attempt in range(guesses):
        forged = {"X-Forwarded-For": f"203.0.113.{attempt + 1}"}
        async with from_address(app, peer, **forged) as attacker:
            assert await client_credentials(attacker, client_id, "wrong") == 401


def assert_limit_headers(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= 300
    assert response.headers["ratelimit-policy"] == f'"failures";q={MAX_FAILURES};w=300'
    remaining, reset = response.headers["ratelimit"].removeprefix('"failures";').split(";")
    assert remaining == "r=0"
    assert reset == f"t={response.headers['retry-after']}"


async def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    client_id, secret = oauth_client
    await wrong_guesses_from_forged_addresses(app, "127.0.0.1", client_id, MAX_FAILURES)
    # A new forged address changes nothing: the failures are the loopback peer's.
    async with from_address(app, "127.0.0.1", **{"X-Forwarded-For": "198.51.100.1"}) as again:
        refused = await token_response(again, client_id, "wrong again")
    assert_limit_headers(refused)
    async with from_address(app, "192.0.2.10") as owner:
        assert await client_credentials(owner, client_id, secret) == 200


async def test_ten_forged_addresses_through_a_trusted_proxy_do_not_lock_the_owner_out(
    tmp_path: Path, oauth_client: tuple[str, str]
) -> None:
    proxied = make_settings(tmp_path, auth_max_failures=MAX_FAILURES, trusted_proxies="10.0.0.1")
    behind_proxy = create_app(proxied)
    asgi_app: Any = behind_proxy
    async with LifespanManager(asgi_app):
        await attack_through_the_proxy(behind_proxy, *oauth_client)


async def attack_through_the_proxy(behind_proxy: Litestar, client_id: str, secret: str) -> None:
    await wrong_guesses_from_forged_addresses(behind_proxy, "10.0.0.1", client_id, 10)
    # The client is under attack: an address that failed on it is refused its next guess ...
    async with from_address(behind_proxy, "10.0.0.1", **{"X-Forwarded-For": "203.0.113.1"}) as a:
        refused = await token_response(a, client_id, "wrong again")
    assert_limit_headers(refused)
    # ... and the owner, through the same proxy from its own address, gets its token.
    owner_headers = {"X-Forwarded-For": "203.0.113.200, 198.51.100.7"}  # the proxy appended
    async with from_address(behind_proxy, "10.0.0.1", **owner_headers) as owner:
        assert await client_credentials(owner, client_id, secret) == 200
        assert await client_credentials(owner, client_id, secret) == 200


async def test_failed_sign_ins_for_one_user_from_many_addresses_leave_the_owner_in(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    form = await ann_and_a_sign_in_form(app, anonymous, oauth_client[0])
    form |= {"email": EMAIL, "decision": "allow"}
    for attempt in range(MAX_FAILURES + 2):
        async with browser_at(app, f"10.0.1.{attempt + 1}", anonymous.cookies) as attacker:
            wrong = await attacker.post("/oauth/authorize", data=form | {"password": "nope!nope"})
            assert wrong.status_code == 200
    async with browser_at(app, "10.0.1.1", anonymous.cookies) as attacker:
        refused = await attacker.post("/oauth/authorize", data=form | {"password": PASSWORD})
    assert_limit_headers(refused)
    assert "Too many failed sign-ins" in refused.text
    async with browser_at(app, "192.0.2.20", anonymous.cookies) as owner:
        allowed = await owner.post("/oauth/authorize", data=form | {"password": PASSWORD})
    assert allowed.status_code == 303
    assert "code=" in allowed.headers["location"]


async def test_failed_bearer_api_keys_on_a_hook_reach_429_with_the_headers(
    app: Litestar, anonymous: httpx.AsyncClient, api_key: str
) -> None:
    key_id = api_key.removeprefix("crmk_").partition("_")[0]
    wrong = {"Authorization": f"Bearer crmk_{key_id}_not-the-secret"}
    async with from_address(app, "10.0.2.1", **wrong) as attacker:
        for _ in range(MAX_FAILURES):
            assert (await attacker.get(HOOK)).status_code == 403
        assert_limit_headers(await attacker.get(HOOK))
        # The right key still works from here (an owner behind the same NAT): a generated
        # key cannot be guessed, so only failures are refused.
        right = await attacker.get(HOOK, headers={"Authorization": f"Bearer {api_key}"})
        assert right.status_code == 200
        assert_limit_headers(await attacker.get(HOOK))
    async with from_address(app, "192.0.2.30", Authorization=f"Bearer {api_key}") as owner:
        assert (await owner.get(HOOK)).status_code == 200


async def test_failed_basic_credentials_on_a_hook_are_counted(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    client_id, secret = oauth_client
    async with from_address(app, "10.0.3.1") as attacker:
        for _ in range(MAX_FAILURES):
            answer = await attacker.get(HOOK, auth=httpx.BasicAuth(client_id, "wrong"))
            assert answer.status_code == 403
        assert_limit_headers(await attacker.get(HOOK, auth=httpx.BasicAuth(client_id, "wrong")))
    # The same secret is guessed at /oauth/token: the counts are shared.
    async with from_address(app, "10.0.3.1") as attacker:
        assert await client_credentials(attacker, client_id, "wrong") == 429
        assert await client_credentials(attacker, client_id, secret) == 200
    async with from_address(app, "192.0.2.40") as owner:
        assert (await owner.get(HOOK, auth=httpx.BasicAuth(client_id, secret))).status_code == 200


@pytest.mark.parametrize("credential", ["apikey", "jwt", "basic"])
async def test_failed_credentials_on_graphql_reach_429_with_the_headers(
    app: Litestar, anonymous: httpx.AsyncClient, settings: Settings, credential: str
) -> None:
    match credential:
        case "apikey":
            header = "Bearer crmk_0123456789abcdef_wrong"
        case "jwt":
            header = f"Bearer {forge(settings, key='k' * 40)}"
        case _:
            header = "Basic " + base64.b64encode(b"crmc_x:wrong").decode()
    async with from_address(app, "10.0.4.1", Authorization=header) as attacker:
        for _ in range(MAX_FAILURES):
            answer = await attacker.post("/graphql", json=USERS)
            assert answer.status_code == 200
            assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert_limit_headers(await attacker.post("/graphql", json=USERS))


async def test_a_good_key_from_a_clean_address_is_never_refused(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    _, key = await app.state.services.credentials.create_api_key("owner", ALL_SCOPES)
    async with from_address(app, "192.0.2.50", Authorization=f"Bearer {key}") as owner:
        for _ in range(MAX_FAILURES * 3):
            assert (await owner.get(HOOK)).status_code == 200


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_crm_serve_believes_forwarded_for_only_from_a_configured_proxy(
    tmp_path: Path, trusted: str
) -> None:
    env = {"CRM_TRUSTED_PROXIES": trusted} if trusted else {}
    with live_server(tmp_path, CRM_LOG_FORMAT="json", **env) as server:
        answer = httpx.get(f"{server.url}/health", headers={"X-Forwarded-For": "203.0.113.77"})
        assert answer.status_code == 200
    seen = "203.0.113.77" if trusted else "127.0.0.1"
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    (health,) = [line for line in lines if line.get("path") == "/health"]
    assert health["client"] == seen, health
    if not trusted:
        assert "203.0.113.77" not in server.log()


async def test_spellings_of_one_e_mail_count_as_one_account(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    form = await ann_and_a_sign_in_form(app, anonymous, oauth_client[0]) | {"decision": "allow"}
    spellings = [EMAIL.upper(), f"  {EMAIL} ", "Ann@Example.COM", "ann@@example.com", EMAIL]
    for attempt, spelling in enumerate(spellings):
        async with browser_at(app, f"10.0.5.{attempt + 1}", anonymous.cookies) as attacker:
            wrong = form | {"email": spelling, "password": "nope!nope"}
            answer = await attacker.post("/oauth/authorize", data=wrong)
            assert answer.status_code == 200, answer.text  # a malformed one too: no 4xx page
    async with browser_at(app, "10.0.5.1", anonymous.cookies) as attacker:
        again = form | {"email": EMAIL, "password": PASSWORD}
        assert_limit_headers(await attacker.post("/oauth/authorize", data=again))
