"""Headers every response carries, set in one place: a hook on everything the app sends.

Every response gets `X-Content-Type-Options: nosniff`, and a Content-Security-Policy
unless its handler set one: pages built from a trusted template (the docs, GraphiQL)
get one that allows their own origin's scripts and styles (the vendored assets, no other
origin) and their inline scripts by hash; everything else the strictest policy, which
suits JSON and the framework's own error pages.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any, cast

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

NOSNIFF = "nosniff"
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""For answers that are not pages meant to run in a browser."""

PAGE_POLICY_KEY = "crm.content_security_policy"
"""The key in the request's ASGI scope where a handler leaves the policy of the page it drew
(the scope, not its `state`, which a server may share between requests)."""

_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
_LINK = re.compile(r"<link\b(?P<attrs>[^>]*)>", re.S | re.I)
_ATTR = re.compile(r"""\b(?P<name>src|href)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""", re.I)


def _attributes(text: str) -> dict[str, str]:
    return {
        match["name"].lower(): match["dq"] if match["dq"] is not None else match["sq"]
        for match in _ATTR.finditer(text)
    }


def _own(url: str) -> bool:
    """Whether `url` is on the page's own origin: a path (not `//host`), or a `data:` URL."""
    return url.startswith("data:") or (url.startswith("/") and not url.startswith("//"))


def trusted_page_policy(html: str) -> str:
    """The CSP for a page drawn from a trusted template (no request data in it).

    Such a page loads everything from the app's own origin (the vendored assets): its
    external scripts, stylesheets and icons are allowed as `'self'`, its inline scripts
    by hash, and a template naming another origin is refused here, when it is drawn.
    Styles may be inline: these tools insert style elements as they run.
    """
    scripts = ["'self'"]
    urls: list[str] = []
    for match in _SCRIPT.finditer(html):
        src = _attributes(match["attrs"]).get("src")
        if src is not None:
            urls.append(src)
        elif match["body"]:  # an empty inline script never runs, so CSP never checks it
            digest = hashlib.sha256(match["body"].encode()).digest()
            scripts.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    for match in _LINK.finditer(html):
        if href := _attributes(match["attrs"]).get("href"):
            urls.append(href)
    if foreign := [url for url in urls if not _own(url)]:
        raise ValueError(f"a trusted page loads only from its own origin, not {foreign}")
    directives = {
        "default-src": ["'none'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeaders:
    """The app's `before_send` hook; `pages` maps a path to the policy of the page it serves."""

    def __init__(self, pages: Mapping[str, str]) -> None:
        self._pages = dict(pages)

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        if headers.get("x-content-type-options") is None:
            headers["X-Content-Type-Options"] = NOSNIFF
        if headers.get("content-security-policy") is not None:
            return
        policy = cast("dict[str, Any]", scope).get(PAGE_POLICY_KEY)
        if policy is None and (headers.get("content-type") or "").startswith("text/html"):
            policy = self._pages.get(scope["path"])
        headers["Content-Security-Policy"] = policy or STRICT_POLICY
