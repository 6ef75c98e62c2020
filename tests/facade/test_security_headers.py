"""Every answer carries nosniff and a CSP; pages get one that names what they load; CORS is
closed unless an origin is configured."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from crm.settings import SettingsError
from facade.app import create_app
from facade.graphiql import graphiql_html
from facade.security_headers import STRICT_POLICY, trusted_page_policy
from tests.auth_tools import app_routes
from tests.conftest import make_settings


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


async def test_every_route_answers_with_nosniff_and_a_csp(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    routes = sorted(set(app_routes(app)))
    assert len(routes) > 20
    extra = [("GET", "/no/such/route"), ("DELETE", "/health"), ("OPTIONS", "/graphql")]
    for method, path in [*routes, *extra]:
        response = await anonymous.request(method, path)
        where = f"{method} {path} -> {response.status_code}"
        assert response.headers.get("x-content-type-options") == "nosniff", where
        assert response.headers.get("content-security-policy"), where


async def test_json_answers_get_the_strict_policy(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/health"),
        await client.get("/ringotel/v1/users"),
        await client.post("/graphql", json={"query": "{ users { nodes { email } } }"}),
        await client.get("/ringotel/v1/activities/not-an-id/recording"),
    ):
        assert response.headers["content-security-policy"] == STRICT_POLICY


async def test_graphiql_page_policy_allows_its_own_origin_and_its_inline_script_only(
    anonymous: httpx.AsyncClient,
) -> None:
    page = await anonymous.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text == graphiql_html()
    policy = directives(page.headers["content-security-policy"])
    assert page.headers["content-security-policy"] == trusted_page_policy(graphiql_html())
    [inline] = [s for s in policy["script-src"] if s.startswith("'sha256-")]
    assert policy["script-src"] == ["'self'", inline]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "http" not in page.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/docs", "/docs/swagger"])
async def test_docs_pages_policy_allows_their_own_origin_only(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    page = await anonymous.get(path)
    assert page.status_code == 200
    policy = directives(page.headers["content-security-policy"])
    assert policy["script-src"][0] == "'self'"
    assert all(source.startswith("'sha256-") for source in policy["script-src"][1:])
    for directive in ("style-src", "img-src", "font-src", "connect-src"):
        assert set(policy[directive]) <= {"'self'", "'unsafe-inline'", "data:"}, directive
    assert "http" not in page.headers["content-security-policy"]
    assert "'unsafe-eval'" not in page.headers["content-security-policy"]


def test_trusted_page_policy_hashes_inline_scripts_and_skips_empty_ones() -> None:
    page = (
        "<script src='/assets/a.js'></script><script></script>"
        "<script>go()</script><link rel='stylesheet' href='/assets/a.css'>"
        '<link rel="icon" href="data:,">'
    )
    policy = directives(trusted_page_policy(page))
    # sha256 of "go()", as `printf 'go()' | openssl dgst -sha256 -binary | base64` gives it
    assert policy["script-src"] == [
        "'self'",
        "'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='",
    ]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["font-src"] == ["'self'", "data:"]


@pytest.mark.parametrize(
    "tag",
    [
        "<script src='https://cdn.test/a.js'></script>",
        '<script src="//cdn.test/a.js"></script>',
        "<link rel='stylesheet' href='http://cdn.test/a.css'>",
        '<link rel="icon" href="https://cdn.test/i.png">',
        '<script src="assets/relative.js"></script>',
    ],
)
def test_trusted_page_policy_refuses_a_page_loading_from_elsewhere(tag: str) -> None:
    with pytest.raises(ValueError, match="its own origin"):
        trusted_page_policy(f"<html>{tag}</html>")


async def preflight(http: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


async def test_cors_is_closed_by_default(anonymous: httpx.AsyncClient) -> None:
    response = await preflight(anonymous, "https://app.example.com")
    assert "access-control-allow-origin" not in response.headers
    simple = await anonymous.get("/health", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in simple.headers


async def test_cors_opens_for_a_configured_origin_only(tmp_path: Path) -> None:
    from asgi_lifespan import LifespanManager

    app = create_app(
        make_settings(tmp_path, cors_origins="https://app.example.com, http://127.0.0.1:5173")
    )
    asgi_app = app
    async with (
        LifespanManager(asgi_app),  # type: ignore[arg-type]
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app),  # type: ignore[arg-type]
            base_url="http://crm.test",
        ) as http,
    ):
        allowed = await preflight(http, "https://app.example.com")
        assert allowed.status_code in (200, 204)
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        for stranger in ("https://evil.example.com", "https://app.example.com.evil.test"):
            refused = await preflight(http, stranger)
            assert "access-control-allow-origin" not in refused.headers, stranger
        simple = await http.get("/health", headers={"Origin": "http://127.0.0.1:5173"})
        assert simple.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
        assert simple.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("value", ["*", "https://*.example.com", "https://a.test/path", "a.test"])
def test_cors_setting_takes_exact_origins_only(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="CRM_CORS_ORIGINS"):
        make_settings(tmp_path, cors_origins=value)
