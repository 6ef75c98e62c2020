"""The console's admin screens in Debian's Chromium against the real `crm serve`: an admin
creates an API key and an OAuth client (each secret shown once), they work on the REST
facade until the admin revokes them; the Ringotel page creates the credential of the mode
chosen, downloads that mode's integration JSON and says what to type where; an agent sees
none of it and the API refuses it anyway.

Every page is opened through `visit` (nothing from another origin, no CSP violation).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import require_chromium, visit
from tests.facade.console_app import SCREENSHOTS, Console, console_server, screenshot_wanted
from tests.facade.console_app import sign_in as sign_in_as

USERS_HOOK = "/ringotel/v1/users"
ADMIN_LINKS = ("Users", "API keys", "OAuth clients", "Ringotel")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    require_chromium()
    with console_server(tmp_path_factory.mktemp("console-admin"), "console_admin") as running:
        running.make_agent("admin@example.com", "590", admin=True)
        running.make_agent("agent@example.com", "591")
        yield running


async def sign_in(page: Any, email: str = "admin@example.com") -> None:
    await sign_in_as(page, email)


async def fits(page: Any, width: int) -> None:
    """The page reads without scrolling sideways at `width`."""
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{scroll} px wide at a {width} px viewport"


def hook(console: Console, **request: Any) -> int:
    """The status of Ringotel's Users hook asked with these credentials."""
    return httpx.get(console.server.url + USERS_HOOK, **request).status_code


def client_token(console: Console, client_id: str, secret: str) -> httpx.Response:
    """The client-credentials grant, asked with a client's id and secret."""
    return httpx.post(
        console.server.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )


def graphql_code(console: Console, key: str, query: str) -> str | None:
    """The code of the first error GraphQL answers `query` with, asked with `key`."""
    answer = httpx.post(
        console.server.url + "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    errors = answer.get("errors") or [{}]
    code: str | None = errors[0].get("extensions", {}).get("code")
    return code


async def test_an_admin_creates_an_api_key_that_works_until_revoked_in_the_console(
    console: Console,
) -> None:
    async with visit(console.server, "/") as seen:
        page = seen.page
        await page.set_viewport_size(DESKTOP)
        await sign_in(page)
        await page.get_by_role("link", name="API keys").click()
        form = page.get_by_role("form", name="Create an API key")
        await form.get_by_label("Name").fill("Ringotel <b>bold</b>")
        await form.get_by_label("crm:read").uncheck()
        await form.get_by_label("crm:write").uncheck()
        await form.get_by_text("all Ringotel needs, nothing else").wait_for()
        await form.get_by_label("Name").press("Enter")  # the keyboard submits it
        secret = page.get_by_label("API key", exact=True)
        await secret.wait_for()
        key = await secret.input_value()
        assert key.startswith("crmk_")
        await page.get_by_text("you will not see it again").wait_for()
        assert await secret.evaluate("(box) => box === document.activeElement")
        row = page.get_by_role("row").filter(has_text="Ringotel <b>bold</b>")  # text, not markup
        await row.get_by_text("ringotel", exact=True).wait_for()
        await row.get_by_text("active").wait_for()
        await page.get_by_role("button", name="Copy the API key").click()
        await page.get_by_role("status").filter(has_text="Cop").first.wait_for()
        assert hook(console, headers={"Authorization": f"Bearer {key}"}) == 200

        await page.reload()  # shown once: not there again
        await page.get_by_role("row").filter(has_text="Ringotel <b>bold</b>").wait_for()
        assert key not in await page.content()
        row = page.get_by_role("row").filter(has_text="Ringotel <b>bold</b>")
        await row.get_by_role("button", name="Revoke Ringotel <b>bold</b>").click()
        await row.get_by_text("Whatever uses it is refused at once.").wait_for()
        await row.get_by_role("button", name="Cancel").click()  # asked, then taken back
        assert hook(console, headers={"Authorization": f"Bearer {key}"}) == 200
        await row.get_by_role("button", name="Revoke Ringotel <b>bold</b>").click()
        await row.get_by_role("button", name="Yes, revoke").click()
        await row.get_by_text("revoked").wait_for()
        await fits(page, DESKTOP["width"])
    assert hook(console, headers={"Authorization": f"Bearer {key}"}) == 403


async def test_an_admin_creates_an_oauth_client_whose_tokens_end_when_revoked(
    console: Console,
) -> None:
    async with visit(console.server, "/") as seen:
        page = seen.page
        await page.set_viewport_size(PHONE)
        await sign_in(page)
        await page.get_by_role("link", name="OAuth clients").click()
        form = page.get_by_role("form", name="Create an OAuth client")
        await form.get_by_label("Name").fill("Internal tool")
        await form.get_by_label("Redirect URIs").fill("https://tool.test/cb\nnot a uri")
        await form.get_by_role("button", name="Create an OAuth client").click()
        problem = page.locator("#client-uris-error")  # beside the field it names
        await problem.get_by_text("is not an absolute http(s) URI").wait_for()
        assert await form.get_by_label("Redirect URIs").get_attribute("aria-invalid") == "true"
        await form.get_by_label("Redirect URIs").fill("https://tool.test/cb")
        await form.get_by_role("button", name="Create an OAuth client").click()
        client_id = await page.locator(".client-id").inner_text()
        secret = await page.get_by_label("Client secret").input_value()
        await page.get_by_text("you will not see it again").wait_for()
        await fits(page, PHONE["width"])
        if screenshot_wanted():
            await page.screenshot(path=str(SCREENSHOTS / "console-oauth-client.png"))

        token = client_token(console, client_id, secret)
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert hook(console, headers=bearer) == 200

        row = page.get_by_role("row").filter(has_text=client_id)
        await row.get_by_text("https://tool.test/cb").wait_for()
        await row.get_by_role("button", name="Revoke Internal tool").click()
        await row.get_by_role("button", name="Yes, revoke").click()
        await row.get_by_text("revoked").wait_for()
    assert hook(console, headers=bearer) == 403
    assert hook(console, auth=(client_id, secret)) == 403
    assert client_token(console, client_id, secret).status_code == 401


async def test_an_agent_sees_no_admin_screen_and_the_api_refuses_it(console: Console) -> None:
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "agent@example.com")
        nav = page.get_by_role("navigation", name="Screens")
        await nav.get_by_role("link", name="Contacts").wait_for()
        for words in ADMIN_LINKS:
            assert await nav.get_by_role("link", name=words).count() == 0
        await page.goto(console.server.url + "/#/api-keys")  # typed in by hand
        await page.get_by_role("alert").get_by_text("this needs the admin scope").wait_for()
        answers = await page.evaluate(
            """async () => Promise.all([
                "{ apiKeys { id } }", "{ oauthClients { id } }",
                'mutation { createApiKey(input: {name: "x", scopes: ["admin"]}) { key } }',
                'mutation { createOAuthClient(input: {name: "x"}) { secret } }',
                'mutation { revokeApiKey(id: "x") { id } }',
                'mutation { revokeOAuthClient(id: "x") { id } }',
            ].map(async (query) => (await fetch("/graphql", {method: "POST",
                headers: {"Content-Type": "application/json", "X-CRM-Console": "1"},
                body: JSON.stringify({query})})).json()))"""
        )
        for answer in answers:
            assert answer["data"] is None
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = console.graphql("{ apiKeys { name } oauthClients { name } }")
    assert {"name": "x"} not in created["apiKeys"] + created["oauthClients"]


async def download(page: Any, mode: str, folder: Path) -> Any:
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name=f"Download the integration JSON ({mode})").click()
    got = await waiting.value
    assert got.suggested_filename == f"ringotel-{mode}.json"
    path = folder / got.suggested_filename
    await got.save_as(str(path))
    return json.loads(path.read_text())


def portal_field(page: Any, label: str) -> Any:
    return (
        page.locator("table.fields")
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=label, exact=True))
    )


async def test_the_ringotel_page_sets_up_each_auth_mode(console: Console, tmp_path: Path) -> None:
    printed = {
        mode: json.loads(console.server.crm("ringotel-json", "--auth", mode))
        for mode in ("bearer", "basic", "oauth2")
    }
    url = console.server.url
    async with visit(console.server, "/") as seen:
        page = seen.page
        await page.set_viewport_size(DESKTOP)
        await sign_in(page)
        await page.get_by_role("link", name="Ringotel").click()
        await page.get_by_role("heading", name="Connecting Ringotel").wait_for()
        assert await page.get_by_label("Bearer: an API key").is_checked()

        # Bearer: an API key with the ringotel scope alone, typed into "API key".
        document = await download(page, "bearer", tmp_path)
        assert document == printed["bearer"]
        assert document["auth"] == {"type": "Bearer", "token": "$API key$"}
        await page.get_by_role("button", name="Create the API key").click()
        key = await page.get_by_label("API key", exact=True).input_value()
        await portal_field(page, "API key").get_by_text(key).wait_for()
        assert hook(console, headers={"Authorization": f"Bearer {key}"}) == 200
        query = "{ contacts { nodes { id } } }"
        assert graphql_code(console, key, query) == "FORBIDDEN"  # the hooks and nothing else
        webhook = portal_field(page, "Webhook URL")
        await webhook.get_by_text(f"{url}/ringotel/webhook").wait_for()
        await page.get_by_role("button", name="Create a key for the webhook").click()
        token = await page.get_by_label("Webhook API token").input_value()
        await portal_field(page, "API token").get_by_text(token).wait_for()
        if screenshot_wanted():
            await page.screenshot(path=str(SCREENSHOTS / "console-ringotel.png"), full_page=True)

        # Basic: a client whose id and secret are the user name and password.
        await page.get_by_label("Basic: a client's id and secret").check()
        await page.get_by_role("button", name="Create the OAuth client").wait_for()
        document = await download(page, "basic", tmp_path)
        assert document == printed["basic"]
        assert document["properties"] == ["Username", "Password"]
        await page.get_by_role("button", name="Create the OAuth client").click()
        client_id = await page.locator(".client-id").inner_text()
        secret = await page.get_by_label("Client secret").input_value()
        await portal_field(page, "Username").get_by_text(client_id).wait_for()
        await portal_field(page, "Password").get_by_text(secret).wait_for()
        assert hook(console, auth=(client_id, secret)) == 200

        # OAuth2: Ringotel's callback URL, matched exactly; the endpoints named.
        await page.get_by_label("OAuth2: Ringotel signs in through the CRM").check()
        callback = page.get_by_label("Ringotel's callback URL", exact=True)
        await callback.fill("ftp://ringotel.test/callback")
        await page.get_by_role("button", name="Create the OAuth client").click()
        await page.locator("#ringotel-callback-error").get_by_text("http(s)").wait_for()
        await callback.fill("https://ringotel.test/oauth/callback")
        await page.get_by_role("button", name="Create the OAuth client").click()
        client_id = await page.locator(".client-id").inner_text()
        await portal_field(page, "Client ID").get_by_text(client_id).wait_for()
        await page.get_by_text(f"{url}/oauth/authorize").wait_for()
        document = await download(page, "oauth2", tmp_path)
        assert document == printed["oauth2"]
        assert document["OAuth2"]["token_endpoint"] == f"{url}/oauth/token"
        await page.set_viewport_size(PHONE)
        await fits(page, PHONE["width"])
    clients = console.graphql("{ oauthClients { id redirectUris scopes } }")["oauthClients"]
    made = next(row for row in clients if row["id"] == client_id)
    assert made == {
        "id": client_id,
        "redirectUris": ["https://ringotel.test/oauth/callback"],
        "scopes": ["ringotel"],
    }
