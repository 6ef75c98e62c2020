"""The sign-in form refuses cross-site posts; its CSP lets the answer go to the callback."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from crm.domain.users import UserInput
from crm.tables import AuthorizationCode
from facade.auth import csrf
from facade.auth.page import redirect_origin
from tests.auth_tools import authorize_url, sign_in_form

EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"


@pytest.fixture
async def page_form(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> dict[str, str]:
    """The filled sign-in form of a page the test's browser opened (its cookie is set)."""
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))
    form = await sign_in_form(anonymous, authorize_url(oauth_client[0], scope=None, state=None))
    return {**form, "email": EMAIL, "password": PASSWORD, "decision": "allow"}


async def codes() -> int:
    return int(await AuthorizationCode.count())


async def test_page_sets_the_form_token_in_a_strict_httponly_cookie_and_a_hidden_field(
    anonymous: httpx.AsyncClient, page_form: dict[str, str]
) -> None:
    cookie = next(c for c in anonymous.cookies.jar if c.name == csrf.COOKIE)
    assert cookie.value == page_form[csrf.FIELD]
    assert len(cookie.value or "") == 43
    assert cookie.path == "/oauth"
    assert not cookie.secure  # the test CRM is served over http


def test_cookie_is_secure_when_the_crm_is_served_over_https() -> None:
    header = csrf.token_cookie("t" * 43, "https://crm.example.com").to_header(header="")
    assert {"Secure", "HttpOnly", "SameSite=strict", "Path=/oauth"} <= set(header.split("; "))
    plain = csrf.token_cookie("t" * 43, "http://127.0.0.1:8000").to_header(header="")
    assert "Secure" not in plain.split("; ")


async def test_the_sign_in_post_with_the_pages_token_issues_a_code(
    anonymous: httpx.AsyncClient, page_form: dict[str, str]
) -> None:
    answer = await anonymous.post(
        "/oauth/authorize", data=page_form, headers={"Origin": "http://crm.test"}
    )
    assert answer.status_code == 303
    assert "code=" in answer.headers["location"]


@pytest.mark.parametrize(
    "forgery",
    ["no_field", "no_cookie", "other_token", "foreign_origin", "null_origin"],
)
async def test_a_cross_site_post_is_refused_with_a_page_and_no_code(
    anonymous: httpx.AsyncClient, page_form: dict[str, str], forgery: str
) -> None:
    form = dict(page_form)
    headers: dict[str, str] = {}
    match forgery:
        case "no_field":
            del form[csrf.FIELD]
        case "no_cookie":
            anonymous.cookies.clear()
        case "other_token":
            form[csrf.FIELD] = "x" * 43
        case "foreign_origin":
            headers["Origin"] = "https://evil.test"
        case "null_origin":
            headers["Origin"] = "null"
    answer = await anonymous.post("/oauth/authorize", data=form, headers=headers)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert "Open the sign-in link again." in answer.text
    assert await codes() == 0


async def test_page_csp_lets_the_form_go_to_this_server_and_the_callback_origin_only(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    page = await anonymous.get(authorize_url(oauth_client[0], scope=None, state=None))
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["form-action"] == "'self' https://ringotel.test"
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://ringotel.test/oauth/callback?x=1", "https://ringotel.test"),
        ("http://127.0.0.1:8123/cb", "http://127.0.0.1:8123"),
        ("https://User:pw@Ringotel.TEST:443/cb", "https://ringotel.test:443"),
        ("http://[::1]:9000/cb", "http://[::1]:9000"),
        ("https://a.test;script-src *", None),
        ("https://a.test 'unsafe-inline'/cb", None),
        ("javascript:alert(1)", None),
        ("https://a.test:99999/cb", None),
    ],
)
def test_redirect_origin_is_a_clean_csp_source_or_none(uri: str, origin: str | None) -> None:
    assert redirect_origin(uri) == origin
