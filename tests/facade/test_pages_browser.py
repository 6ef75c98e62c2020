"""The HTML pages the server sends, opened in Debian's Chromium with no way out: they render,
run, and ask nothing of any origin but the server's, without a CSP violation.

Every request the page makes is recorded; one to another origin is aborted (so a CDN
cannot answer it) and fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from facade.graphiql import AUTHORIZATION_HINT
from tests.browser import require_chromium, visit
from tests.live_server import LiveServer, live_server, own_sqlite

LAST_NAME = "Offlinesson"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("pages-browser")
    with live_server(folder, database_url=own_sqlite(folder)) as server:
        key = server.api_key("crm:write")
        created = httpx.post(
            server.url + "/graphql",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "query": "mutation($input: CreateContactInput!)"
                " { createContact(input: $input) { contact { id } } }",
                "variables": {"input": {"firstName": "Ada", "lastName": LAST_NAME}},
            },
        )
        assert created.json()["data"]["createContact"]["contact"]["id"], created.text
        yield server


def operations(server: LiveServer) -> list[dict[str, Any]]:
    """The operations of the server's OpenAPI document, in its order."""
    document = httpx.get(server.url + "/docs/openapi.json").json()
    return [
        operation
        for methods in document["paths"].values()
        for operation in methods.values()
        if isinstance(operation, dict) and operation.get("summary")
    ]


async def test_graphiql_opens_on_the_example_and_runs_it_with_a_pasted_key(
    server: LiveServer,
) -> None:
    key = server.api_key("crm:read")
    async with visit(server, "/graphql") as seen:
        page = seen.page
        query_editor = page.locator(".graphiql-query-editor .CodeMirror")
        await query_editor.get_by_text("query Contacts").wait_for()
        headers_editor = page.locator(".graphiql-editor-tool .CodeMirror").last
        await headers_editor.get_by_text(AUTHORIZATION_HINT).wait_for()
        await headers_editor.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {key}"}))
        await page.locator(".graphiql-execute-button").click()
        response = page.locator(".graphiql-response .CodeMirror")
        await response.get_by_text(LAST_NAME).wait_for()
        assert "errors" not in await response.inner_text()
        assert '"Ada"' in await response.inner_text()
        asset_requests = [url for url in seen.requested if "/assets/" in url]
        assert any("graphiql.min.js" in url for url in asset_requests), seen.requested


async def test_scalar_shows_the_operations(server: LiveServer) -> None:
    listed = operations(server)
    tags = list(dict.fromkeys(tag for operation in listed for tag in operation["tags"]))
    assert len(tags) > 3
    async with visit(server, "/docs") as seen:
        page = seen.page
        await page.get_by_text(listed[0]["summary"]).first.wait_for()  # the first tag is open
        sidebar = page.locator(".t-doc__sidebar, aside, nav").first
        for tag in tags:
            await sidebar.get_by_text(tag, exact=True).first.wait_for()
        await sidebar.get_by_text(tags[-1], exact=True).first.click()  # open the last tag
        last = next(operation for operation in listed if tags[-1] in operation["tags"])
        await page.get_by_text(last["summary"]).first.wait_for()
        assert any("/assets/@scalar/api-reference@" in url for url in seen.requested)


async def test_swagger_ui_shows_the_operations(server: LiveServer) -> None:
    listed = operations(server)
    async with visit(server, "/docs/swagger") as seen:
        blocks = seen.page.locator(".opblock")
        await blocks.first.wait_for()
        assert await blocks.count() == len(listed)
        for operation in (listed[0], listed[-1]):
            await seen.page.get_by_text(operation["summary"]).first.wait_for()
