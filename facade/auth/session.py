"""Console sessions: a signed cookie, checked against the database on every request.

The cookie holds a random session id, the user's id and its expiry, signed with
HMAC-SHA256 under a key derived from the CRM's secret key; nothing in it is secret,
and nothing in it can be changed. Each request reads the session's standing (ended?
its user active? an admin?) in one round trip, so signing out or deactivating the
user ends it at once and its scopes follow the user's role as it is now.

A cookie is sent by the browser whoever made the page, so a request authenticated by
it must prove it comes from the console: a write (any method but GET, HEAD and
OPTIONS) must carry the `X-CRM-Console` header, which another site's page cannot
send here (CORS never allows credentials), and an `Origin`, when sent (on every
WebSocket), must be this server's. The cookie is SameSite=Strict besides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass

from litestar.datastructures import Cookie

from crm.settings import Settings

COOKIE = "crm_session"
CSRF_HEADER = "x-crm-console"
"""The header every cookie-authenticated write must carry (any value)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSION = "v1"
_VALUE = re.compile(
    r"^v1\.([A-Za-z0-9_-]{22})\.([0-9a-f-]{36})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$"
)


@dataclass(frozen=True, slots=True)
class Session:
    """What a session cookie says: who, until when, under which id."""

    session_id: str
    user_id: uuid.UUID
    expires_at: int
    """Seconds since the epoch."""


class SessionSigner:
    """Issues and reads session cookies."""

    def __init__(self, settings: Settings) -> None:
        # A key of its own, so a session value can never pass for anything else signed.
        self._key = hmac.new(
            settings.signing_key().encode(), b"crm console session", hashlib.sha256
        ).digest()
        self.ttl_s = settings.session_ttl_s
        self._secure = settings.public_url.startswith("https://")

    def _signature(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, user_id: uuid.UUID) -> tuple[str, Session]:
        """A new session for `user_id`: the cookie's value and what it says."""
        session = Session(
            session_id=secrets.token_urlsafe(16),
            user_id=user_id,
            expires_at=int(time.time()) + self.ttl_s,
        )
        payload = f"{_VERSION}.{session.session_id}.{user_id}.{session.expires_at}"
        return f"{payload}.{self._signature(payload)}", session

    def read(self, value: str) -> Session | None:
        """The session a cookie value names, when it is well-formed, signed here and not
        expired; else `None`."""
        match = _VALUE.match(value)
        if match is None:
            return None
        session_id, user_id, expires_at, signature = match.groups()
        payload = value.rpartition(".")[0]
        if not hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            return None
        if int(expires_at) <= time.time():
            return None
        try:
            user = uuid.UUID(user_id)
        except ValueError:
            return None
        return Session(session_id=session_id, user_id=user, expires_at=int(expires_at))

    def cookie(self, value: str) -> Cookie:
        """The cookie that carries a session: HttpOnly, SameSite=Strict, Secure over https."""
        return Cookie(
            key=COOKIE,
            value=value,
            path="/",
            max_age=self.ttl_s,
            httponly=True,
            secure=self._secure,
            samesite="strict",
        )

    def cleared(self) -> Cookie:
        """The cookie that makes the browser forget its session."""
        return Cookie(
            key=COOKIE,
            value="",
            path="/",
            max_age=0,
            httponly=True,
            secure=self._secure,
            samesite="strict",
        )
