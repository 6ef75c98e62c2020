"""The console's session: sign in at `/`, a cookie that authenticates `/graphql` with the
user's scopes as they are now, CSRF checks on its writes, and its end at sign-out or on the
user's deactivation."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.domain.users import UserInput
from facade.auth import csrf
from facade.auth.session import COOKIE, SessionSigner
from tests.auth_tools import hidden_fields
from tests.conftest import make_settings

EMAIL = "agent@example.com"
PASSWORD = "correct horse battery"
CONSOLE = {"X-CRM-Console": "1"}
ME = "{ me { email isAdmin } }"
CREATE_USER = (
    'mutation { createUser(input: {email: "new@example.com", password: "long enough pw"}) { id } }'
)


async def make_agent(app: Litestar, **fields: Any) -> uuid.UUID:
    user = await app.state.services.users.create(
        UserInput(email=EMAIL, password=PASSWORD, **fields)
    )
    return uuid.UUID(str(user.id))


async def sign_in(
    browser: httpx.AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> httpx.Response:
    """Open `/` as a browser would (its form's cookie is set), then post the form."""
    page = await browser.get("/")
    assert page.status_code == 200, page.text
    form = hidden_fields(page.text) | {"email": email, "password": password}
    return await browser.post("/session/sign-in", data=form)


async def graphql(
    browser: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Post a document as the console does (with its header unless `headers` say otherwise)."""
    sent = CONSOLE if headers is None else headers
    response = await browser.post("/graphql", json={"query": query}, headers=sent)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def test_a_signed_out_visitor_gets_the_sign_in_form_under_a_strict_policy(
    anonymous: httpx.AsyncClient,
) -> None:
    page = await anonymous.get("/")
    assert page.status_code == 200
    assert '<label for="email">Email</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert "<script" not in page.text
    assert "<style" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"


async def test_signing_in_sets_a_strict_httponly_cookie_that_signs_graphql_in(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    await make_agent(app)
    answer = await sign_in(anonymous)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    header = next(
        value for value in answer.headers.get_list("set-cookie") if value.startswith(COOKIE)
    )
    attributes = set(header.split("; "))
    assert {"HttpOnly", "SameSite=strict", "Path=/"} <= attributes
    assert "Secure" not in attributes  # the test CRM is served over http
    page = await anonymous.get("/")
    assert '<script type="module" src="/console/static/app.js">' in page.text
    body = await graphql(anonymous, ME)
    assert body["data"]["me"] == {"email": EMAIL, "isAdmin": False}


def test_the_session_cookie_is_secure_when_the_crm_is_served_over_https(tmp_path: Path) -> None:
    signer = SessionSigner(make_settings(tmp_path, public_url="https://crm.example.com"))
    value, _ = signer.issue(uuid.uuid4())
    header = signer.cookie(value).to_header(header="")
    assert {"Secure", "HttpOnly", "SameSite=strict", "Path=/"} <= set(header.split("; "))


def test_a_changed_forged_or_expired_cookie_names_no_session(tmp_path: Path) -> None:
    signer = SessionSigner(make_settings(tmp_path))
    user = uuid.uuid4()
    value, session = signer.issue(user)
    assert signer.read(value) == session
    other = str(uuid.uuid4())
    assert signer.read(value.replace(str(user), other)) is None
    assert signer.read(value[:-2] + ("AA" if not value.endswith("AA") else "BB")) is None
    assert signer.read("v1.x.y.z.w") is None
    assert signer.read("") is None
    other_key = "another key of at least thirty-two bytes"
    another = SessionSigner(make_settings(tmp_path, secret_key=other_key))
    assert another.read(value) is None
    expired = SessionSigner(make_settings(tmp_path, session_ttl_s=300))
    expired.ttl_s = -1  # a session issued already expired
    old, _ = expired.issue(user)
    assert expired.read(old) is None
    assert session.expires_at > time.time()


async def test_a_wrong_password_is_refused_and_counts_against_the_sign_in_limit(
    tmp_path: Path,
) -> None:
    from asgi_lifespan import LifespanManager

    from facade.app import create_app

    app = create_app(make_settings(tmp_path, auth_max_failures=2))
    asgi: Any = app
    async with (
        LifespanManager(asgi),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://crm.test") as b,
    ):
        await make_agent(app)
        for _ in range(2):
            wrong = await sign_in(b, password="wrong")
            assert wrong.status_code == 401
            assert "Wrong email or password." in wrong.text
            assert COOKIE not in wrong.headers.get("set-cookie", "")
        refused = await sign_in(b)  # even the right password, past the limit
        assert refused.status_code == 429
        assert "Too many failed sign-ins" in refused.text
        assert int(refused.headers["retry-after"]) > 0


async def test_a_cross_site_sign_in_post_is_refused(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    await make_agent(app)
    page = await anonymous.get("/")
    form = hidden_fields(page.text) | {"email": EMAIL, "password": PASSWORD}
    other = await anonymous.post(
        "/session/sign-in", data=form, headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 400
    assert COOKIE not in other.headers.get("set-cookie", "")
    anonymous.cookies.delete(csrf.COOKIE)
    tokenless = await anonymous.post("/session/sign-in", data=form)
    assert tokenless.status_code == 400


async def test_a_cookie_signed_write_needs_the_console_header_and_this_origin(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    await make_agent(app, is_admin=True)
    await sign_in(anonymous)
    assert codes(await graphql(anonymous, CREATE_USER, {})) == ["FORBIDDEN"]
    assert codes(await graphql(anonymous, ME, {})) == ["FORBIDDEN"]  # a query is a POST too
    foreign = CONSOLE | {"Origin": "https://evil.example"}
    assert codes(await graphql(anonymous, CREATE_USER, foreign)) == ["FORBIDDEN"]
    assert codes(await graphql(anonymous, ME, foreign)) == ["FORBIDDEN"]
    created = await graphql(anonymous, CREATE_USER, CONSOLE | {"Origin": "http://crm.test"})
    assert created["data"]["createUser"]["id"], created


async def test_an_admins_session_holds_admin_and_loses_it_at_once_when_demoted(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    user = await make_agent(app, is_admin=True)
    await sign_in(anonymous)
    assert (await graphql(anonymous, ME))["data"]["me"]["isAdmin"] is True
    await app.state.services.users.update(user, UserInput(is_admin=False))
    assert codes(await graphql(anonymous, CREATE_USER)) == ["FORBIDDEN"]


async def test_an_agents_session_may_not_create_users(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    await make_agent(app)
    await sign_in(anonymous)
    assert codes(await graphql(anonymous, CREATE_USER)) == ["FORBIDDEN"]


async def test_a_deactivated_users_session_is_out_at_once(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    user = await make_agent(app)
    await sign_in(anonymous)
    assert (await graphql(anonymous, ME))["data"]["me"]["email"] == EMAIL
    await app.state.services.users.update(user, UserInput(is_active=False))
    assert codes(await graphql(anonymous, ME)) == ["FORBIDDEN"]
    page = await anonymous.get("/")
    assert '<label for="email">Email</label>' in page.text


async def test_signing_out_ends_the_session_even_for_a_kept_copy_of_its_cookie(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    await make_agent(app)
    await sign_in(anonymous)
    kept = anonymous.cookies[COOKIE]
    assert (await anonymous.post("/session/sign-out")).status_code == 400  # no console header
    assert (await graphql(anonymous, ME))["data"]["me"]["email"] == EMAIL
    ended = await anonymous.post("/session/sign-out", headers=CONSOLE)
    assert ended.status_code == 204
    assert COOKIE not in anonymous.cookies
    anonymous.cookies.set(COOKIE, kept, domain="crm.test")
    assert codes(await graphql(anonymous, ME)) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "value", ["garbage", "v1." + "a" * 22 + "." + str(uuid.UUID(int=1)) + ".99999999999.x"]
)
async def test_a_forged_session_cookie_signs_no_one_in(
    anonymous: httpx.AsyncClient, value: str
) -> None:
    anonymous.cookies.set(COOKIE, value, domain="crm.test")
    assert codes(await graphql(anonymous, ME)) == ["FORBIDDEN"]
    page = await anonymous.get("/")
    assert '<label for="email">Email</label>' in page.text


async def test_an_authorization_header_wins_over_the_session_cookie(
    app: Litestar, anonymous: httpx.AsyncClient, api_key: str
) -> None:
    await make_agent(app)
    await sign_in(anonymous)
    body = await graphql(anonymous, ME, {"Authorization": f"Bearer {api_key}"})
    assert body["data"]["me"] is None  # the key acts for no user
