"""The middleware that authenticates: it reads the credentials, never decides access.

It puts a `Principal` in `scope["crm.principal"]`, or the reason there is none in
`scope["crm.auth_failure"]`; the guard (and GraphQL's permission classes) decide.
Four kinds of credentials: a Bearer JWT this CRM issued, a Bearer API key, Basic
with an OAuth2 client's id and secret, and (with no `Authorization` header) the
console's session cookie (`facade.auth.session`).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import unquote

from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from crm.domain.credentials import API_KEY_PREFIX, parse_scopes
from crm.domain.principal import Principal
from crm.domain.services import Services
from facade.auth.csrf import is_own_origin
from facade.auth.limits import client_address, too_many
from facade.auth.policy import Access, access_rule
from facade.auth.session import COOKIE, CSRF_HEADER, SAFE_METHODS, SessionSigner
from facade.auth.tokens import TokenInvalid, TokenSigner

PRINCIPAL_KEY = "crm.principal"
FAILURE_KEY = "crm.auth_failure"

KIND_CLIENT = "client"
"""Rate-limit kind of an OAuth2 client's secret, by Basic or at `/oauth/token` (subject: its id)."""
KIND_API_KEY = "apikey"
"""Rate-limit kind of an API key (subject: its key id, the part before the secret)."""
MAX_KEY_ID_LENGTH = 32
"""The longest key id (`crm_api_key.key_id`)."""
KIND_JWT = "jwt"
"""Rate-limit kind of a Bearer access token (one subject: a JWT names no one until verified)."""
KIND_SESSION = "session"
"""Rate-limit kind of a session cookie that is not one this CRM signed (one subject)."""


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """Why a request has no principal; `error` is RFC 6750's code (None: no credentials)."""

    message: str
    error: str | None = "invalid_token"


NO_CREDENTIALS = AuthFailure("credentials are required", error=None)


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """`(username, password)` from a Basic header value, or None when it is not one."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 §2.3.1 form-encodes the client id and secret; ours are unchanged by it.
    return unquote(username), unquote(password)


class Authenticator:
    """Turns an `Authorization` header into a principal or a failure.

    Every failed credential is counted: past the limit an address's failures, or a
    subject's from the addresses that failed on it, are answered 429.
    """

    def __init__(self, services: Services, signer: TokenSigner, sessions: SessionSigner) -> None:
        self._credentials = services.credentials
        self._limits = services.rate_limits
        self._signer = signer
        self.sessions = sessions

    async def authenticate(
        self, authorization: str | None, address: str = "unknown"
    ) -> Principal | AuthFailure:
        """The principal, or why there is none; raises a 429 when the address is over limit."""
        if not authorization or not authorization.strip():
            return NO_CREDENTIALS
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            if value.startswith(API_KEY_PREFIX):
                return await self.api_key(value, address)
            return await self._limited(KIND_JWT, address, "bearer", partial(self._jwt, value))
        if scheme.lower() == "basic":
            pair = basic_credentials(authorization.strip())
            if pair is None:
                return AuthFailure("malformed Basic credentials", error="invalid_request")
            return await self._limited(KIND_CLIENT, address, pair[0], partial(self._basic, *pair))
        return AuthFailure("use Bearer or Basic credentials", error="invalid_request")

    async def api_key(self, key: str, address: str = "unknown") -> Principal | AuthFailure:
        """The principal of an API key, or why there is none, counted as a Bearer one is;
        also for a key sent elsewhere than in `Authorization` (Ringotel's webhook puts it
        in its body). Raises a 429 when the address is over limit."""
        # The subject is the key id a key would have: a long guess is cut to a key id's length.
        key_id = key.removeprefix(API_KEY_PREFIX).partition("_")[0][:MAX_KEY_ID_LENGTH]
        return await self._limited(KIND_API_KEY, address, key_id, partial(self._api_key, key))

    async def session(
        self, connection: ASGIConnection[Any, Any, Any, Any], public_url: str
    ) -> Principal | AuthFailure:
        """The user a console session cookie signs in, when the request may use it (see
        `facade.auth.session`); raises a 429 past the limit of forged cookies."""
        origin = connection.headers.get("origin")
        websocket = connection.scope["type"] == ScopeType.WEBSOCKET
        if (origin is None and websocket) or (
            origin is not None and not is_own_origin(origin, public_url, str(connection.base_url))
        ):
            return AuthFailure("the session cannot be used from another site", "invalid_request")
        if (
            not websocket
            and connection.scope.get("method", "GET") not in SAFE_METHODS
            and CSRF_HEADER not in connection.headers
        ):
            return AuthFailure(
                "a write signed in by the session needs the X-CRM-Console header",
                "invalid_request",
            )
        value = connection.cookies.get(COOKIE, "")
        address = client_address(connection.scope)
        return await self._limited(KIND_SESSION, address, "cookie", partial(self._session, value))

    async def _session(self, value: str) -> Principal | AuthFailure:
        session = self.sessions.read(value)
        if session is None:
            return AuthFailure("the session is not valid; sign in again")
        scopes = await self._credentials.session_scopes(session.session_id, session.user_id)
        if scopes is None:
            return AuthFailure("the session has ended; sign in again")
        user_id = str(session.user_id)
        return Principal(subject=user_id, scopes=scopes, kind="user", user_id=user_id)

    async def _limited(
        self,
        kind: str,
        address: str,
        subject: str,
        evaluate: Callable[[], Awaitable[Principal | AuthFailure]],
    ) -> Principal | AuthFailure:
        """Evaluate a credential, counting it only when it fails.

        Each of these is a secret the CRM generated (256 random bits, or a signed token):
        guessing one is hopeless, so a right one is never refused and costs no read of
        the counters, and nobody can lock its owner out. A failure is counted, and past
        the limit failures are answered 429 (see `crm.domain.ratelimit`).
        """
        result = await evaluate()
        if isinstance(result, AuthFailure):
            verdict = await self._limits.attempt(kind, address, subject)
            if not verdict.allowed:
                raise too_many(verdict)
        return result

    async def _api_key(self, key: str) -> Principal | AuthFailure:
        row = await self._credentials.authenticate_api_key(key)
        if row is None:
            return AuthFailure("the API key is not valid")
        return Principal(
            subject=f"apikey:{row.key_id}", scopes=parse_scopes(row.scopes), kind="apikey"
        )

    async def _jwt(self, token: str) -> Principal | AuthFailure:
        try:
            claims = self._signer.verify(token)
        except TokenInvalid as exc:
            return AuthFailure(str(exc))
        user_id = claims.get("uid")
        try:
            user = uuid.UUID(str(user_id)) if user_id is not None else None
        except ValueError:
            return AuthFailure("the token names no valid user")
        family = claims.get("fam")
        refusal = await self._credentials.token_refusal(
            claims["jti"], str(family) if family else None, claims["client_id"], user
        )
        if refusal is not None:
            return AuthFailure(refusal)
        return Principal(
            subject=claims["sub"],
            scopes=frozenset(claims["scope"].split()),
            kind="user" if user_id else "client",
            user_id=user_id if isinstance(user_id, str) else None,
        )

    async def _basic(self, client_id: str, secret: str) -> Principal | AuthFailure:
        row = await self._credentials.authenticate_client(client_id, secret)
        if row is None:
            return AuthFailure("the client id or secret is not valid")
        return Principal(subject=row.client_id, scopes=parse_scopes(row.scopes), kind="client")


class AuthenticationMiddleware(ASGIMiddleware):
    """Authenticates every request (and GraphQL websocket) to a route that is not open."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, authenticator: Authenticator, public_url: str) -> None:
        self._authenticator = authenticator
        self._public_url = public_url

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        rule = access_rule(scope["path"], handler.opt if handler is not None else None)
        if rule is not Access.OPEN and rule is not Access.IN_BODY:
            authorization = Headers.from_scope(scope).get("authorization")
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
            result: Principal | AuthFailure
            if authorization is None and COOKIE in connection.cookies:
                result = await self._authenticator.session(connection, self._public_url)
            else:
                result = await self._authenticator.authenticate(
                    authorization, client_address(scope)
                )
            if isinstance(result, Principal):
                scope[PRINCIPAL_KEY] = result  # type: ignore[literal-required]
            else:
                scope[FAILURE_KEY] = result  # type: ignore[literal-required]
        await next_app(scope, receive, send)
