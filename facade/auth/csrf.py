"""The sign-in forms' guard against cross-site posts (the OAuth page's and the console's).

The page sets a random token in an HttpOnly, SameSite=Strict cookie scoped to the
form's target (`/oauth`, `/session`) and repeats it in a hidden field; a post is
accepted only when both are there and equal (compared in constant time) and its `Origin`, when the
browser sends one, is this server's. Another site can make a browser post the
form, but can neither read the token nor send this server's `Origin`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie

COOKIE = "crm_oauth_csrf"
FIELD = "csrf_token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_MAX_AGE_S = 3600


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_own_origin(origin: str, public_url: str, base_url: str) -> bool:
    """Whether a request's `Origin` is this server's: its public URL's, or the one it was
    reached at."""
    return origin.lower() in {_origin(public_url), _origin(base_url)}


def form_token(request: Request[Any, Any, Any]) -> str:
    """The browser's token when it holds a well-formed one (so other tabs keep working),
    else a new one."""
    current = request.cookies.get(COOKIE, "")
    return current if _TOKEN.match(current) else secrets.token_urlsafe(32)


def token_cookie(token: str, public_url: str, path: str = "/oauth") -> Cookie:
    """The cookie that carries `token` to the form's target under `path`; `Secure` when the
    CRM is served over https."""
    return Cookie(
        key=COOKIE,
        value=token,
        path=path,
        max_age=_MAX_AGE_S,
        httponly=True,
        secure=public_url.startswith("https://"),
        samesite="strict",
    )


def refusal(
    request: Request[Any, Any, Any], form: Mapping[str, str], public_url: str
) -> str | None:
    """Why a post of the sign-in form is refused as cross-site, or `None` when it is not."""
    origin = request.headers.get("origin")
    if origin is not None and not is_own_origin(origin, public_url, str(request.base_url)):
        return "The form was sent from another site."
    cookie = request.cookies.get(COOKIE, "")
    sent = form.get(FIELD, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        return "The sign-in form expired or was not sent from this page."
    return None
