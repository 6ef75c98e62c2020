"""The one HTML page of the authorization server: sign in and consent, or an error.

Every value is escaped; the page may not be framed (clickjacking) nor cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from string import Template

from litestar import Response
from litestar.enums import MediaType

SCOPE_WORDS: Mapping[str, str] = {
    "ringotel": "use the Ringotel integration endpoints",
    "crm:read": "read contacts, companies, activities and users",
    "crm:write": "create and change contacts, companies and activities",
    "admin": "manage users and credentials",
}

HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}
input[type=email],input[type=password]{width:100%;padding:.4rem}
.error{color:#a00}button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}</style></head>
<body><h1>$title</h1>$body</body></html>
""")


def error_page(message: str, status: int = 400) -> Response[str]:
    """A page that says what is wrong with the request, and redirects nowhere."""
    body = f'<p class="error">{escape(message)}</p>'
    return Response(
        _PAGE.substitute(title="Cannot authorize", body=body),
        status_code=status,
        media_type=MediaType.HTML,
        headers=HEADERS,
    )


def consent_page(
    client_name: str, scopes: list[str], hidden: Mapping[str, str], error: str | None = None
) -> Response[str]:
    """The sign-in form and the consent: who asks for what; buttons `decision` allow/deny."""
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
        headers=HEADERS,
    )
