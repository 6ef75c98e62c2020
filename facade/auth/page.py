"""The one HTML page of the authorization server: sign in and consent, or an error.

Every value is escaped; the page may not be framed (clickjacking) nor cached. Its
Content-Security-Policy allows its own style block (by hash) and posts to this
server; the form may also be redirected to the origin of the request's checked
redirect URI, since browsers apply `form-action` to the redirect after a submit.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from html import escape
from string import Template
from urllib.parse import urlsplit

from litestar import Response
from litestar.enums import MediaType

SCOPE_WORDS: Mapping[str, str] = {
    "ringotel": "use the Ringotel integration endpoints",
    "crm:read": "read contacts, companies, activities and users",
    "crm:write": "create and change contacts, companies and activities",
    "admin": "manage users and credentials",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}"
    "input[type=email],input[type=password]{width:100%;padding:.4rem}"
    ".error{color:#a00}button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}"
)
_STYLE_DIGEST = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
STYLE_SOURCE = f"'sha256-{_STYLE_DIGEST}'"
"""The CSP source that allows exactly the page's one style block."""

_PAGE = Template(
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>$title</title>\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<link rel="icon" href="data:,">\n'
    f"<style>{_STYLE}</style></head>\n"
    "<body><h1>$title</h1>$body</body></html>\n"
)
_HOST = re.compile(r"^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])$")


def redirect_origin(uri: str) -> str | None:
    """The `scheme://host[:port]` of an http(s) URI, fit to stand in a CSP; else `None`."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def page_headers(redirect_uri: str | None = None) -> dict[str, str]:
    """The page's headers; the form may go to this server and on to `redirect_uri`'s origin."""
    form_action = "'self'"
    if redirect_uri is not None and (origin := redirect_origin(redirect_uri)):
        form_action += " " + origin
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": f"default-src 'none'; style-src {STYLE_SOURCE}; "
        f"img-src data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'",
        # `same-origin`, not `no-referrer`: with no-referrer browsers send `Origin: null` on
        # the form's POST, and the server could no longer tell its own form from another site's.
        "Referrer-Policy": "same-origin",
    }


def error_page(message: str, status: int = 400) -> Response[str]:
    """A page that says what is wrong with the request, and redirects nowhere."""
    body = f'<p class="error">{escape(message)}</p>'
    return Response(
        _PAGE.substitute(title="Cannot authorize", body=body),
        status_code=status,
        media_type=MediaType.HTML,
        headers=page_headers(),
    )


def consent_page(
    client_name: str,
    scopes: list[str],
    hidden: Mapping[str, str],
    error: str | None = None,
    *,
    redirect_uri: str,
) -> Response[str]:
    """The sign-in form and the consent: who asks for what; buttons `decision` allow/deny.

    `redirect_uri` is the checked URI the answer goes back to: the form may be redirected there.
    """
    items = "".join(
        f"<li><code>{escape(scope)}</code>: {escape(SCOPE_WORDS.get(scope, scope))}</li>"
        for scope in scopes
    )
    fields = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in hidden.items()
        if value
    )
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"<p><strong>{escape(client_name)}</strong> asks to act for you in this CRM:</p>"
        f"<ul>{items}</ul>{problem}"
        '<form method="post" action="/oauth/authorize">'
        f"{fields}"
        '<label for="email">Email</label>'
        '<input id="email" name="email" type="email" autocomplete="username">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password">'
        '<button type="submit" name="decision" value="allow">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</form>"
    )
    return Response(
        _PAGE.substitute(title="Sign in to the CRM", body=body),
        status_code=200,
        media_type=MediaType.HTML,
        headers=page_headers(redirect_uri),
    )
