"""Helpers for auth tests: forged tokens, a browser that signs in, and the app's route list."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import urlencode

import httpx
from jose import jwt
from litestar import Litestar
from litestar.routes import HTTPRoute

from crm.domain.credentials import format_scopes
from crm.domain.principal import ALL_SCOPES
from crm.settings import Settings
from tests.conftest import OAUTH_REDIRECT_URI

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
SAMPLE_ID = "00000000-0000-4000-8000-000000000001"


def claims_for(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid access token for this app; `overrides` change or (None) drop some."""
    issued = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.public_url,
        "aud": settings.public_url,
        "sub": "crmc_forged",
        "iat": issued,
        "exp": issued + 600,
        "jti": uuid.uuid4().hex,
        "scope": format_scopes(ALL_SCOPES),
        "client_id": "crmc_forged",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def forge(
    settings: Settings,
    *,
    key: str | None = None,
    kid: str | None = None,
    algorithm: str = "HS256",
    **overrides: Any,
) -> str:
    """A JWT signed like the app's (or with another key, key id or algorithm)."""
    current, keys = settings.jwt_signing_keys()
    kid = kid or current
    token: str = jwt.encode(
        claims_for(settings, **overrides),
        key if key is not None else keys[current],
        algorithm=algorithm,
        headers={"kid": kid},
    )
    return token


def unsigned(settings: Settings, **overrides: Any) -> str:
    """A token with `alg: none` and no signature, as an attacker would send it."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = {"alg": "none", "typ": "JWT", "kid": settings.jwt_signing_keys()[0]}
    return f"{part(header)}.{part(claims_for(settings, **overrides))}."


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields of the sign-in form."""
    return {name: unescape(value) for name, value in _HIDDEN.findall(page)}


def authorize_url(client_id: str, **params: str | None) -> str:
    """The authorization page for `client_id`, asking for `ringotel` with the tests' callback;
    `params` change or (None) drop some query parameters."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": OAUTH_REDIRECT_URI,
        "scope": "ringotel",
        "state": "xyz",
        **params,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def from_address(app: Litestar, address: str, **headers: str) -> httpx.AsyncClient:
    """A client whose TCP peer is `address` (the app's lifespan must be running)."""
    asgi_app: Any = app
    transport = httpx.ASGITransport(app=asgi_app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://crm.test", headers=headers)


async def token_response(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    """The answer to a client-credentials grant with this id and secret."""
    return await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(client_id, secret),
    )


async def client_credentials(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    """The status of a client-credentials grant with this id and secret."""
    return (await token_response(http, client_id, secret)).status_code


async def exchange_code(
    http: httpx.AsyncClient, code: str, client: tuple[str, str], **extra: str
) -> httpx.Response:
    """The token endpoint's answer to an authorization code, the client signing in with Basic
    auth; `extra` adds form fields (a PKCE `code_verifier`)."""
    return await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": OAUTH_REDIRECT_URI,
            **extra,
        },
        auth=httpx.BasicAuth(*client),
    )


async def sign_in_form(browser: httpx.AsyncClient, url: str) -> dict[str, str]:
    """Open the authorization page at `url` as a browser would (its cookie is set); the
    form's hidden fields."""
    page = await browser.get(url)
    assert page.status_code == 200, page.text
    return hidden_fields(page.text)


async def sign_in(
    browser: httpx.AsyncClient,
    authorize_url: str,
    email: str,
    password: str,
    decision: str = "allow",
) -> httpx.Response:
    """Open the authorization page as a browser would and submit the form."""
    form = await sign_in_form(browser, authorize_url)
    form |= {"email": email, "password": password, "decision": decision}
    return await browser.post("/oauth/authorize", data=form)


def app_routes(app: Litestar) -> Iterator[tuple[str, str]]:
    """Every (method, concrete path) the app serves, path parameters filled in."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}):
            yield method, _PARAM.sub(_sample, route.path)


def _sample(match: re.Match[str]) -> str:
    match match.group(2):
        case "int":
            return "1"
        case "path":
            return "x"
        case _:
            return SAMPLE_ID  # fixed, so a route's test id is the same on every run
