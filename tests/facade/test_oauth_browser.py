"""The OAuth2 authorization-code flow through the real sign-in page, in Debian's Chromium,
against the real server (`crm serve`) and a client callback on another origin.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from html import escape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.browser import Site, chromium_page, other_site, require_chromium
from tests.live_server import LiveServer, live_server, own_sqlite

EMAIL = "admin@example.com"
PASSWORD = "correct horse battery"
ATTACKER_EMAIL = "mallory@example.com"
ATTACKER_PASSWORD = "mallory's own password"


@pytest.fixture(scope="module")
def callback() -> Iterator[Site]:
    """The OAuth2 client's web site: its callback is on another origin than the CRM."""
    with other_site("127.0.0.1") as site:
        yield site


@pytest.fixture(scope="module")
def attacker() -> Iterator[Site]:
    """Another site altogether (`localhost`, not `127.0.0.1`), serving a hostile form."""
    with other_site("localhost") as site:
        yield site


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("oauth-browser")
    with live_server(folder, database_url=own_sqlite(folder)) as server:
        for email, password in ((EMAIL, PASSWORD), (ATTACKER_EMAIL, ATTACKER_PASSWORD)):
            server.crm("user", "create", "--email", email, "--password", password)
        yield server


@pytest.fixture(scope="module")
def ringotel(server: LiveServer, callback: Site) -> tuple[str, str]:
    """Ringotel's OAuth2 client, registered with its callback: `(client_id, client_secret)`."""
    record = server.crm_json(
        "client",
        "create",
        "--name",
        "Ringotel",
        "--redirect-uri",
        f"{callback.url}/callback",
        "--scope",
        "ringotel",
    )
    return str(record["client_id"]), str(record["client_secret"])


def codes_issued(server: LiveServer) -> int:
    """Authorization codes the server has written so far."""
    with sqlite3.connect(server.folder / "live.sqlite") as db:
        (count,) = db.execute("SELECT count(*) FROM crm_oauth_code").fetchone()
    return int(count)


async def test_chromium_signs_in_and_lands_on_the_callback_whose_code_calls_a_hook(
    server: LiveServer, callback: Site, ringotel: tuple[str, str]
) -> None:
    verifier = generate_token(48)
    async with (
        AsyncOAuth2Client(
            client_id=ringotel[0],
            client_secret=ringotel[1],
            redirect_uri=f"{callback.url}/callback",
            scope="ringotel",
            code_challenge_method="S256",
        ) as oauth,
        chromium_page() as (page, console),
    ):
        url, state = oauth.create_authorization_url(
            f"{server.url}/oauth/authorize", code_verifier=verifier
        )
        shown = await page.goto(url)
        assert shown is not None
        assert shown.status == 200
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        async with page.expect_navigation(url=f"{callback.url}/callback?*", timeout=15_000):
            await page.get_by_role("button", name="Allow").click()

        landed = page.url
        query = parse_qs(urlsplit(landed).query)
        assert query["state"] == [state]
        assert query["code"][0]
        assert any(path.startswith("/callback?") for path in callback.requests)

        token = await oauth.fetch_token(
            f"{server.url}/oauth/token", authorization_response=landed, code_verifier=verifier
        )
        assert token["scope"] == "ringotel"
        users = await oauth.get(f"{server.url}/ringotel/v1/users")  # Authlib adds the token
        assert users.status_code == 200, users.text
        assert EMAIL in {record["email"] for record in users.json()["records"]}
    assert console.csp_violations() == [], console.messages


async def test_chromium_cross_site_post_without_the_form_token_is_refused_and_issues_no_code(
    server: LiveServer, callback: Site, attacker: Site, ringotel: tuple[str, str]
) -> None:
    redirect_uri = f"{callback.url}/callback"
    fields = {
        "response_type": "code",
        "client_id": ringotel[0],
        "redirect_uri": redirect_uri,
        "scope": "ringotel",
        "state": "attackers-state",
        "email": ATTACKER_EMAIL,
        "password": ATTACKER_PASSWORD,
        "decision": "allow",
    }
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    attacker.pages["/win-a-prize"] = (
        f'<!doctype html><form method="post" action="{server.url}/oauth/authorize">'
        f'{inputs}<button type="submit">Win</button></form>'
    )
    before = codes_issued(server)
    received = len(callback.requests)
    async with chromium_page() as (page, _console):
        # The victim has the real sign-in page open (its cookie is set) ...
        query = urlencode({k: fields[k] for k in ("response_type", "client_id", "redirect_uri")})
        await page.goto(f"{server.url}/oauth/authorize?{query}")
        # ... then opens the attacker's page, which posts the form with the attacker's account.
        await page.goto(f"{attacker.url}/win-a-prize")
        async with page.expect_response(f"{server.url}/oauth/authorize") as answer:
            await page.get_by_role("button", name="Win").click()
        response = await answer.value
        assert response.status == 400
        assert "location" not in response.headers
        await page.wait_for_load_state()
        assert page.url.startswith(f"{server.url}/oauth/authorize")
        assert "another site" in (await page.content())
    assert codes_issued(server) == before
    assert len(callback.requests) == received
