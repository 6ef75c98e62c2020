"""Every route of the app against every kind of bad credential.

The route list comes from the app itself, so a route added later is checked
without being named here: open routes ignore credentials, `/graphql` answers
FORBIDDEN with no data, every other route answers 403 with a JSON error and a
`WWW-Authenticate` challenge unless the credentials are valid and hold its scope.
"""

from __future__ import annotations

import base64
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, get

from crm.domain.credentials import format_scopes
from crm.domain.principal import ALL_SCOPES, Scope
from crm.settings import Settings
from facade.app import create_app
from facade.auth.policy import Access, access_rule, readable_with
from tests.auth_tools import app_routes, forge, unsigned
from tests.conftest import make_settings

ROUTES = sorted(set(app_routes(create_app(make_settings(Path(tempfile.mkdtemp()))))))
USERS_QUERY = "{ users { nodes { id } } }"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Every case below fails on purpose; the rate limit is not what is tested here.
    return make_settings(tmp_path, auth_max_failures=10_000)


@dataclass
class Kit:
    """What the cases need: the app's settings and credentials that were made for real."""

    app: Litestar
    settings: Settings
    client_id: str
    client_secret: str
    api_key: str
    also_allowed: frozenset[str] = frozenset()
    """A second scope the route under test takes (`readable_with`): withheld too."""

    @property
    def credentials(self) -> Any:
        return self.app.state.services.credentials


Case = Callable[[Kit, Access | Scope], Awaitable[str | None]]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def no_credentials(kit: Kit, rule: Access | Scope) -> str | None:
    return None


async def wrong_client_secret(kit: Kit, rule: Access | Scope) -> str | None:
    return basic(kit.client_id, "not-the-secret")


async def wrong_api_key_secret(kit: Kit, rule: Access | Scope) -> str | None:
    key_id = kit.api_key.split("_")[1]
    return f"Bearer crmk_{key_id}_{secrets.token_urlsafe(32)}"


async def expired_token(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, iat=1_000, exp=2_000)


async def token_signed_with_another_key(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, key=secrets.token_hex(32))


async def token_with_unknown_key_id(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(
        kit.settings, client_id=kit.client_id, key=secrets.token_hex(32), kid="other"
    )


async def token_with_alg_none(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + unsigned(kit.settings, client_id=kit.client_id)


async def token_with_swapped_algorithm(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, algorithm="HS512")


async def token_for_another_audience(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, aud="https://other.test")


async def token_from_another_issuer(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, iss="https://other.test")


async def token_without_subject(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, sub=None)


async def token_without_scope_claim(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, scope=None)


async def revoked_token(kit: Kit, rule: Access | Scope) -> str | None:
    token = forge(kit.settings, client_id=kit.client_id, jti="revoked-jti")
    await kit.credentials.revoke_token_id("revoked-jti", datetime.now(UTC) + timedelta(hours=1))
    return "Bearer " + token


async def revoked_api_key(kit: Kit, rule: Access | Scope) -> str | None:
    _, key = await kit.credentials.create_api_key("revoked", ALL_SCOPES)
    await kit.credentials.revoke_api_key(key)
    return f"Bearer {key}"


async def revoked_client(kit: Kit, rule: Access | Scope) -> str | None:
    row, secret = await kit.credentials.create_client("revoked", [], ALL_SCOPES)
    await kit.credentials.revoke_client(row.client_id)
    return basic(row.client_id, secret)


async def token_of_revoked_client(kit: Kit, rule: Access | Scope) -> str | None:
    row, _ = await kit.credentials.create_client("gone", [], ALL_SCOPES)
    await kit.credentials.revoke_client(row.client_id)
    return "Bearer " + forge(kit.settings, client_id=row.client_id)


def lacking(kit: Kit, rule: Access | Scope) -> frozenset[str]:
    """Every scope but those that would let the route through."""
    needed = Scope.READ if isinstance(rule, Access) else rule
    return ALL_SCOPES - {needed.value} - kit.also_allowed


async def missing_scope(kit: Kit, rule: Access | Scope) -> str | None:
    _, key = await kit.credentials.create_api_key("narrow", lacking(kit, rule))
    return f"Bearer {key}"


async def token_missing_scope(kit: Kit, rule: Access | Scope) -> str | None:
    scope = format_scopes(lacking(kit, rule))
    return "Bearer " + forge(kit.settings, client_id=kit.client_id, scope=scope)


async def malformed_bearer(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer not.a.jwt"


async def malformed_basic(kit: Kit, rule: Access | Scope) -> str | None:
    return "Basic !!!not-base64"


async def unknown_scheme(kit: Kit, rule: Access | Scope) -> str | None:
    return f"Digest {kit.client_secret}"


BAD_CASES: list[Case] = [
    no_credentials,
    wrong_client_secret,
    wrong_api_key_secret,
    expired_token,
    token_signed_with_another_key,
    token_with_unknown_key_id,
    token_with_alg_none,
    token_with_swapped_algorithm,
    token_for_another_audience,
    token_from_another_issuer,
    token_without_subject,
    token_without_scope_claim,
    revoked_token,
    revoked_api_key,
    revoked_client,
    token_of_revoked_client,
    missing_scope,
    token_missing_scope,
    malformed_bearer,
    malformed_basic,
    unknown_scheme,
]


async def good_api_key(kit: Kit, rule: Access | Scope) -> str | None:
    return f"Bearer {kit.api_key}"


async def good_basic(kit: Kit, rule: Access | Scope) -> str | None:
    return basic(kit.client_id, kit.client_secret)


async def good_token(kit: Kit, rule: Access | Scope) -> str | None:
    return "Bearer " + forge(kit.settings, client_id=kit.client_id)


GOOD_CASES: list[Case] = [good_api_key, good_basic, good_token]


WEBHOOK_EVENT = {"method": "StartCallActivity", "params": {"call_id": "c", "activity_type": "in"}}


async def send(
    http: httpx.AsyncClient, method: str, path: str, authorization: str | None
) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    if access_rule(path) is Access.IN_BODY:
        # The credential itself (what follows the scheme) travels as the body's api_token.
        token = (authorization or " ").split(" ", 1)[1]
        return await http.request(method, path, json={**WEBHOOK_EVENT, "api_token": token})
    if method == "POST" and access_rule(path) is Access.GRAPHQL:
        return await http.post(path, json={"query": USERS_QUERY}, headers=headers)
    return await http.request(method, path, headers=headers)


def refused_as_the_facade_must(response: httpx.Response, authorization: str | None) -> str | None:
    """None when the answer is a proper 403; else what is wrong with it."""
    if response.status_code != 403:
        return f"answered {response.status_code}, not 403"
    if not response.headers.get("www-authenticate", "").startswith('Bearer realm="crm"'):
        return "no WWW-Authenticate challenge"
    if response.json().get("error") != "FORBIDDEN":
        return f"body {response.text}"
    secret = (authorization or " ").split(" ", 1)[1]
    if len(secret) > 8 and (secret in response.text or secret in str(response.headers)):
        return "the credential is echoed"
    return None


def refused_as_graphql_must(response: httpx.Response, method: str) -> str | None:
    if method != "POST":
        return None if "users" not in response.text else "GET leaks data"
    body = response.json()
    errors = body.get("errors") or []
    if body.get("data") is not None or not errors:
        return f"gave data: {body}"
    if errors[0].get("extensions", {}).get("code") != "FORBIDDEN":
        return f"error is not FORBIDDEN: {errors[0]}"
    return None


async def check_route(kit: Kit, http: httpx.AsyncClient, method: str, path: str) -> list[str]:
    """Every case against one route; the list of what went wrong."""
    rule = access_rule(path)
    also = readable_with(path, method)
    kit.also_allowed = frozenset({also.value}) if also else frozenset()
    body_token = rule is Access.IN_BODY
    if body_token:
        rule = Scope.RINGOTEL  # held by the API key the body carries
    problems: list[str] = []
    baseline = await send(http, method, path, None)
    for case in BAD_CASES:
        authorization = await case(kit, rule)
        response = await send(http, method, path, authorization)
        if rule is Access.OPEN:
            wrong = (
                None
                if response.status_code == baseline.status_code != 403
                else f"open route answered {response.status_code}"
            )
        elif rule is Access.GRAPHQL:
            wrong = refused_as_graphql_must(response, method)
        else:
            wrong = refused_as_the_facade_must(response, authorization)
        if wrong:
            problems.append(f"{method} {path} with {case.__name__}: {wrong}")
    # A body carries an API key only: a client's Basic pair or a JWT is refused there.
    for case in [good_api_key] if body_token else GOOD_CASES:
        response = await send(http, method, path, await case(kit, rule))
        if response.status_code == 403 or "FORBIDDEN" in response.text:
            problems.append(f"{method} {path} with {case.__name__}: refused")
    return problems


@pytest.fixture
async def kit(
    app: Litestar,
    settings: Settings,
    anonymous: httpx.AsyncClient,
    oauth_client: tuple[str, str],
    api_key: str,
) -> Kit:
    return Kit(app, settings, oauth_client[0], oauth_client[1], api_key)


def test_the_route_list_covers_the_app() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/health", "/graphql", "/oauth/token", "/oauth/authorize"} <= paths


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_route_answers_every_bad_credential_as_its_rule_says(
    kit: Kit, anonymous: httpx.AsyncClient, method: str, path: str
) -> None:
    problems = await check_route(kit, anonymous, method, path)
    assert not problems, "\n".join(problems)


@get("/ringotel/v1/auth-probe", sync_to_thread=False)
def ringotel_probe() -> dict[str, str]:
    return {"ok": "yes"}


@get("/internal/auth-probe", sync_to_thread=False)
def unlisted_probe() -> dict[str, str]:
    return {"ok": "yes"}


@pytest.mark.parametrize(
    ("handler", "path", "scope"),
    [
        (ringotel_probe, "/ringotel/v1/auth-probe", Scope.RINGOTEL),
        (unlisted_probe, "/internal/auth-probe", Scope.ADMIN),
    ],
)
async def test_a_route_added_later_is_closed_by_its_path(
    kit: Kit, app: Litestar, anonymous: httpx.AsyncClient, handler: Any, path: str, scope: Scope
) -> None:
    app.register(handler)
    assert access_rule(path) is scope
    problems = await check_route(kit, anonymous, "GET", path)
    assert not problems, "\n".join(problems)
    answer = await anonymous.get(path, headers={"Authorization": f"Bearer {kit.api_key}"})
    assert answer.json() == {"ok": "yes"}


async def test_under_scoped_refusal_names_the_scope_needed(
    kit: Kit, app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    app.register(ringotel_probe)
    narrow = await missing_scope(kit, Scope.RINGOTEL)
    answer = await anonymous.get("/ringotel/v1/auth-probe", headers={"Authorization": narrow or ""})
    assert answer.status_code == 403
    challenge = answer.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="ringotel"' in challenge
    assert answer.json()["message"] == "this needs the ringotel scope"
