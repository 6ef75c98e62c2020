"""The HTML pages the server sends, opened in Debian's Chromium: their CSP allows what they
load. Nothing leaves the machine: requests to CDNs are answered by a network error, which
Chromium reports apart from CSP violations (those are checked before any request is made).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser import chromium_page, require_chromium
from tests.live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    with live_server(tmp_path_factory.mktemp("pages-browser")) as server:
        yield server


@pytest.mark.parametrize("path", ["/docs", "/docs/swagger", "/graphql"])
async def test_page_loads_in_chromium_without_csp_violations(server: LiveServer, path: str) -> None:
    async with chromium_page() as (page, console):
        outside: list[str] = []

        async def offline(route: object) -> None:
            outside.append(route.request.url)  # type: ignore[attr-defined]
            await route.abort()  # type: ignore[attr-defined]

        await page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), offline)
        shown = await page.goto(server.url + path)
        assert shown is not None
        assert shown.status == 200
        assert shown.headers["content-type"].startswith("text/html")
        await page.wait_for_timeout(500)  # let the page's own scripts run
        assert outside, "the page should have asked a CDN for its code"
    assert console.csp_violations() == [], console.messages
