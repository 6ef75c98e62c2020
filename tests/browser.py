"""A real browser for tests: Debian's Chromium driven by Playwright, and a tiny web site
on another origin (an OAuth2 client's callback, or an attacker's page).

Browser tests skip, saying why, when Chromium is not installed; under CI (`CI=true`)
they fail instead, since `.ci/run` installs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Reports every CSP violation on the console too, whatever Chromium itself logs.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`
  );
});
"""


def require_chromium() -> None:
    """Skip (fail under CI) unless Debian's Chromium and Playwright are there."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
    if not missing:
        return
    reason = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


@dataclass
class ConsoleLog:
    """Every message a page printed, browser warnings (CSP violations among them) included."""

    messages: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        words = ("content security policy", "content-security-policy")
        return [text for text in self.messages if any(word in text.lower() for word in words)]


@asynccontextmanager
async def chromium_page() -> AsyncIterator[tuple[Any, ConsoleLog]]:
    """A fresh Chromium page, and the log of what it printed."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()
            await context.add_init_script(REPORT_CSP)
            page = await context.new_page()
            log = ConsoleLog()
            page.on("console", lambda message: log.messages.append(message.text))
            yield page, log
        finally:
            await browser.close()


@dataclass
class Site:
    """A small web site on its own origin: fixed pages, and the requests it received."""

    host: str
    port: int
    pages: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def other_site(host: str = "127.0.0.1") -> Iterator[Site]:
    """A real HTTP server on loopback, another port (and so another origin) than the CRM's.

    `host` is the name pages use for it: `localhost` makes it another *site* as well.
    """
    site = Site(host=host, port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            body = site.pages.get(self.path.split("?", 1)[0], "<!doctype html><p>received</p>")
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Visit:
    """What a page did: every URL it requested, those sent elsewhere, own answers >= 400."""

    page: Any
    console: ConsoleLog
    requested: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@asynccontextmanager
async def visit(server: LiveServer, path: str) -> AsyncIterator[Visit]:
    """`path` opened in Chromium, which may reach the server and nothing else."""
    async with chromium_page() as (page, console):
        seen = Visit(page, console)

        def on_response(response: Any) -> None:
            if response.status >= 400:
                seen.failed.append(f"{response.status} {response.url}")

        async def only_the_server(route: Any) -> None:
            url: str = route.request.url
            if url == server.url or url.startswith(server.url + "/"):
                await route.continue_()
            else:
                seen.elsewhere.append(url)
                await route.abort()

        page.on("request", lambda request: seen.requested.append(request.url))
        page.on("response", on_response)
        await page.route("**/*", only_the_server)
        shown = await page.goto(server.url + path)
        assert shown is not None
        assert shown.status == 200
        assert shown.headers["content-type"].startswith("text/html")
        yield seen
        assert seen.requested, "the page should have been requested"
        network = [url for url in seen.requested if not url.startswith(("data:", "blob:"))]
        assert all(url.startswith(server.url + "/") for url in network), network
        assert seen.elsewhere == []
        assert seen.failed == []
        assert console.csp_violations() == [], console.messages
