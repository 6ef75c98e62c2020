"""The console's routes: its page at `/`, sign-in and sign-out, and its static files.

These routes are open (`facade.auth.policy`: they decide themselves): `/` shows the
sign-in form to whoever has no valid session and the console to whoever has one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from html import escape
from pathlib import Path, PurePosixPath
from string import Template
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from crm.domain.principal import Principal
from crm.domain.services import Services
from crm.domain.users import sign_in_subject
from facade.auth import csrf
from facade.auth.limits import client_address, limit_headers
from facade.auth.middleware import Authenticator
from facade.auth.oauth import KIND_SIGN_IN, OAuthError, single_values
from facade.auth.session import COOKIE

STATIC = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/console/static"
SESSION_PATH = "/session"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
"""The console's CSP: its own origin only, no inline script or style at all."""

_PAGE = Template(
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>$title</title>\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<link rel="icon" href="data:,">\n'
    f'<link rel="stylesheet" href="{STATIC_PATH}/console.css">\n'
    "$head</head>\n<body>$body</body></html>\n"
)


def page_headers() -> dict[str, str]:
    """The console pages' headers: their CSP, never framed, never cached."""
    return {
        "Content-Security-Policy": POLICY,
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        # `same-origin`: with no-referrer browsers send `Origin: null` on the form's POST.
        "Referrer-Policy": "same-origin",
    }


def sign_in_page(
    request: Request[Any, Any, Any], public_url: str, error: str | None = None, status: int = 200
) -> Response[str]:
    """The sign-in form, with a fresh cross-site token, saying `error` when there is one."""
    token = csrf.form_token(request)
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        '<main class="sign-in"><h1>Sign in to the CRM</h1>'
        f"{problem}"
        f'<form method="post" action="{SESSION_PATH}/sign-in">'
        f'<input type="hidden" name="{csrf.FIELD}" value="{escape(token)}">'
        '<label for="email">Email</label>'
        '<input id="email" name="email" type="email" autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Sign in</button>'
        "</form></main>"
    )
    response = Response(
        _PAGE.substitute(title="Sign in to the CRM", head="", body=body),
        status_code=status,
        media_type=MediaType.HTML,
        headers=page_headers(),
    )
    response.set_cookie(csrf.token_cookie(token, public_url, SESSION_PATH))
    return response


def console_shell() -> Response[str]:
    """The console's page: a frame its scripts fill in."""
    head = f'<script type="module" src="{STATIC_PATH}/app.js"></script>\n'
    body = '<div id="app"><p class="loading">Loading…</p></div>'
    return Response(
        _PAGE.substitute(title="CRM console", head=head, body=body),
        media_type=MediaType.HTML,
        headers=page_headers(),
    )


async def _signed_in(
    request: Request[Any, Any, Any], authenticator: Authenticator, public_url: str
) -> bool:
    if COOKIE not in request.cookies:
        return False
    return isinstance(await authenticator.session(request, public_url), Principal)


@get("/", include_in_schema=False)
async def console_page(
    request: Request[Any, Any, Any], state: State, authenticator: Authenticator
) -> Response[str]:
    """The console for a signed-in user, the sign-in form for anyone else."""
    public_url: str = state.settings.public_url
    if await _signed_in(request, authenticator, public_url):
        return console_shell()
    response = sign_in_page(request, public_url)
    if COOKIE in request.cookies:
        response.set_cookie(authenticator.sessions.cleared())  # ended or not valid
    return response


@post(
    SESSION_PATH + "/sign-in",
    include_in_schema=False,
    status_code=303,
)
async def sign_in(
    request: Request[Any, Any, Any], state: State, authenticator: Authenticator
) -> Response[Any]:
    """Check the email and password (failures count against the sign-in limit) and start
    a session: back to `/` with its cookie."""
    services: Services = state.services
    public_url: str = state.settings.public_url
    try:
        params = single_values(await request.form())
    except OAuthError as exc:
        return sign_in_page(request, public_url, exc.description, status=400)
    if refused := csrf.refusal(request, params, public_url):
        # 400 as on the OAuth page: this route is open, a refusal here is of the form.
        return sign_in_page(request, public_url, refused + " Sign in again.", status=400)
    email = sign_in_subject(params.get("email", ""))
    address = client_address(request.scope)
    # Counted before the password is checked, as on the OAuth page (one shared limit).
    verdict = await services.rate_limits.attempt(KIND_SIGN_IN, address, email)
    if not verdict.allowed:
        minutes = max(1, verdict.reset_s // 60)
        response = sign_in_page(
            request, public_url, f"Too many failed sign-ins; try again in {minutes} min.", 429
        )
        response.headers.update(limit_headers(verdict))
        return response
    user = await services.users.authenticate(params.get("email", ""), params.get("password", ""))
    if user is None:
        return sign_in_page(request, public_url, "Wrong email or password.", status=401)
    await services.rate_limits.succeeded(KIND_SIGN_IN, address, email)
    value, _ = authenticator.sessions.issue(user.id)
    signed_in: Response[Any] = Redirect("/", status_code=303)
    signed_in.set_cookie(authenticator.sessions.cookie(value))
    return signed_in


@post(SESSION_PATH + "/sign-out", include_in_schema=False)
async def sign_out(
    request: Request[Any, Any, Any], state: State, authenticator: Authenticator
) -> Response[None]:
    """End the session at once (on every worker: its id is revoked), and forget its cookie.

    Only the console may end it (the same check as its writes), so another site cannot
    sign a user out."""
    services: Services = state.services
    found = await authenticator.session(request, state.settings.public_url)
    session = authenticator.sessions.read(request.cookies.get(COOKIE, ""))
    if not isinstance(found, Principal) or session is None:
        return Response(None, status_code=400)
    expires = datetime.fromtimestamp(session.expires_at, UTC)
    await services.credentials.revoke_token_id(session.session_id, expires)
    response = Response(None, status_code=204)
    response.set_cookie(authenticator.sessions.cleared())
    return response


@cache
def static_files() -> dict[str, Path]:
    """The console's files by their path under `STATIC`, found once."""
    return {
        file.relative_to(STATIC).as_posix(): file
        for file in STATIC.rglob("*")
        if file.is_file() and file.suffix in MEDIA_TYPES
    }


@get(STATIC_PATH + "/{path:path}", include_in_schema=False)
async def console_static(path: str) -> Response[bytes]:
    """One of the console's scripts or its stylesheet; revalidated on each load (their
    names do not change when they do)."""
    file = static_files().get(path.lstrip("/"))
    if file is None:
        raise NotFoundException(detail="no such console file")
    return Response(
        file.read_bytes(),
        media_type=MEDIA_TYPES[PurePosixPath(file.name).suffix],
        headers={"Cache-Control": "no-cache"},
    )
