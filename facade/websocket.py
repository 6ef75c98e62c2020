"""GraphQL over WebSocket (`graphql-transport-ws`): who may connect, and how much.

A socket is authenticated once, at `connection_init`: by the credential in its payload
(`{"Authorization": "Bearer ..."}` or Basic, the kinds the HTTP requests take, through
the same `Authenticator`), else by the credentials of the handshake request itself.
Without one, with a bad one, or without the `crm:read` scope, it is closed with 4403
(the protocol's Forbidden). A socket that never sends `connection_init` is closed
after `CRM_WS_INIT_TIMEOUT_S` (4408, Strawberry's timer). Each worker serves at most
`CRM_WS_MAX_CONNECTIONS` sockets (more are closed with 1013, "try again later") and
each socket runs at most `CRM_WS_MAX_SUBSCRIPTIONS` operations at once (more are
refused with an error of code TOO_MANY_SUBSCRIPTIONS). Messages larger than
`CRM_WS_MAX_MESSAGE_BYTES` are refused by `crm serve`'s WebSocket implementation.

A socket checks its credential again before each event it sends and each pong: once
the API key or OAuth2 client is revoked, the access token is revoked or expires, the
console session is ended or expires, its user is deactivated or the credential no
longer holds `crm:read`, the socket is closed with 4403 and the event is not sent.

That check reads the database only when it may have changed (`CredentialWatch`): every
revocation, ended session and changed user is announced on the event bus after it
commits, by whichever process made it, and a socket reads its credential's standing
again once one was heard since its last read, or `CRM_WS_RECHECK_S` after it (a safety
net for an announcement lost while the LISTEN connection was silently broken), or
while the bus cannot hear every process (in process, on SQLite, where the `crm`
command's revocations are not heard; and while PostgreSQL's LISTEN connection is
down, after which every socket reads again). An access token (a JWT) is read every
time, since it also expires; a session's expiry is in its signed cookie and checked
each time without a read. On PostgreSQL a process hears an announcement and the call
events after it in the order they were sent (one LISTEN connection), so no event
announced after a revocation reaches its socket; a change made elsewhere reaches a
socket's pongs a LISTEN delivery later, and an event published in the one round trip
between a revocation's commit and its announcement can still be sent.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.exceptions import TooManyRequestsException
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from crm.domain.credentials import API_KEY_PREFIX
from crm.domain.events import CredentialChanges
from crm.domain.principal import Principal, Scope
from crm.graphql.context import Context
from crm.graphql.limits import Budget, Budgets, parse_within
from facade.auth.limits import client_address
from facade.auth.middleware import PRINCIPAL_KEY, Authenticator, AuthFailure
from facade.auth.session import COOKIE

TRY_AGAIN_LATER = 1013
"""RFC 6455's close code for a server that is too busy now."""
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
FORBIDDEN = 4403
"""graphql-transport-ws's close code for a socket whose credentials do not (or no longer) hold."""


class SocketGate:
    """The GraphQL sockets one worker has open, up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def enter(self) -> bool:
        """Count one more socket; `False` (and nothing counted) when the limit is reached."""
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def leave(self) -> None:
        self.open -= 1


@dataclass(frozen=True, slots=True)
class Checked:
    """When a socket's credential was last read: the count of changes heard then, and the
    monotonic clock."""

    changes: int
    at: float


@dataclass(frozen=True)
class CredentialWatch:
    """Tells a socket whether the credential it read at `Checked` can have changed since."""

    changes: CredentialChanges
    recheck_s: float

    def mark(self) -> Checked:
        """Now, to be taken before a read of the credential (a change announced during the
        read moves the count, so the next check reads again)."""
        return Checked(self.changes.count, time.monotonic())

    def unchanged_since(self, checked: Checked | None) -> bool:
        """True when every change is heard here, none since `checked`, and it is recent."""
        return (
            checked is not None
            and self.changes.complete
            and self.changes.count == checked.changes
            and time.monotonic() - checked.at < self.recheck_s
        )


def connection_authorization(params: dict[str, object] | None) -> str | None:
    """The `Authorization` value of a `connection_init` payload (its key in any case)."""
    for key, value in (params or {}).items():
        if key.lower() == "authorization":
            return value if isinstance(value, str) else ""  # not a string: a bad credential
    return None


class SocketAuthenticator:
    """Decides at `connection_init` who a socket acts for, and sets its budget."""

    def __init__(self, authenticator: Authenticator, budgets: Budgets) -> None:
        self._authenticator = authenticator
        self._budgets = budgets

    async def connect(self, context: Context) -> None:
        """Set the socket's principal and budget; raises `ConnectionRejectionError` (4403)
        without a good credential holding `crm:read`."""
        socket = context.websocket
        assert socket is not None  # only called for a socket
        authorization = connection_authorization(context.connection_params)
        principal: Principal | None
        if authorization is None:
            found = socket.scope.get(PRINCIPAL_KEY)  # the handshake's own credentials
            principal = found if isinstance(found, Principal) else None
        else:
            try:
                result = await self._authenticator.authenticate(
                    authorization, client_address(socket.scope)
                )
            except TooManyRequestsException:
                raise ConnectionRejectionError() from None
            principal = result if isinstance(result, Principal) else None
        if principal is None or not principal.has(Scope.READ):
            raise ConnectionRejectionError()
        context.principal = principal
        context.budget = self._budgets.for_principal(principal)


class CrmTransportWSHandler(BaseGraphQLTransportWSHandler[Context, Any]):
    """Strawberry's `graphql-transport-ws` handler, with the worker's socket limit and a
    coded refusal past the per-socket operation limit, and a document refused by the
    limits before parsing answered with its code (not a bare `complete`)."""

    gate: SocketGate
    max_operations: int
    authenticator: Authenticator
    public_url: str
    watch: CredentialWatch
    _checked: Checked | None = None
    """When the credential was last read and held; None: read it at the next check."""
    _opened: Checked | None = None
    _limit_known = False
    _unread_until: float | None = None

    async def handle(self) -> None:
        # Before `connection_init` authenticates the socket: a change heard after this
        # moves the count, and the first check reads.
        self._opened = self.watch.mark()
        if not self.gate.enter():
            await self.websocket.close(
                TRY_AGAIN_LATER,
                "too many connections on this server; CRM_WS_MAX_CONNECTIONS sets the limit",
            )
            return
        try:
            await super().handle()
        finally:
            self.gate.leave()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= self.max_operations
        ):
            error = GraphQLError(
                f"this connection already runs {self.max_operations} operations; "
                "CRM_WS_MAX_SUBSCRIPTIONS sets the limit",
                extensions={"code": TOO_MANY_SUBSCRIPTIONS},
            )
            await self._refuse(message, error)
            return
        query = message.get("payload", {}).get("query")
        if self.connection_acknowledged and isinstance(query, str):
            budget = self.context.budget or Budget()
            parsed = parse_within(query, budget)
            if isinstance(parsed, GraphQLError):
                await self._refuse(message, parsed)
                return
        await super().handle_subscribe(message)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            self._checked = self._opened  # authenticated just now, as at a check

    async def send_message(self, message: Any) -> None:
        # Checked before each event, and at each of the client's pings (the console pings
        # every 20 s), so a socket with nothing to send does not stay open either.
        if message.get("type") in ("next", "pong") and not await self._credential_holds():
            await self.websocket.close(FORBIDDEN, "the credential no longer holds")
            return
        await super().send_message(message)

    async def _credential_holds(self) -> bool:
        """Whether the credential the socket was opened with still signs it in with
        `crm:read`, checked as at `connection_init`: the one in its payload, else the
        handshake's `Authorization`, else the console's session cookie."""
        socket = self.context.websocket
        if socket is None:
            return True
        authorization = connection_authorization(self.context.connection_params)
        if authorization is None:
            authorization = Headers.from_scope(socket.scope).get("authorization")
        if self.watch.unchanged_since(self._checked) and self._holds_unread(
            authorization, socket.scope
        ):
            return True
        mark = self.watch.mark()
        found: Principal | AuthFailure
        if authorization is not None:
            try:
                found = await self.authenticator.authenticate(
                    authorization, client_address(socket.scope)
                )
            except TooManyRequestsException:
                return False
        else:
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(socket.scope)
            found = await self.authenticator.session(connection, self.public_url)
        holds = isinstance(found, Principal) and found.has(Scope.READ)
        self._checked = mark if holds else None
        return holds

    def _holds_unread(self, authorization: str | None, scope: Any) -> bool:
        """Whether the credential, unchanged in the database, still holds by what the
        socket itself carries (worked out once: a socket's credential never changes)."""
        if not self._limit_known:
            self._unread_until = self._unread_limit(authorization, scope)
            self._limit_known = True
        return self._unread_until is not None and time.time() < self._unread_until

    def _unread_limit(self, authorization: str | None, scope: Any) -> float | None:
        """Until when (seconds since the epoch) the credential holds without a read: a
        session cookie until its signed expiry, an API key or a client's secret always;
        an access token never (`None`: its expiry and revocations need reading it)."""
        if authorization is None:
            cookies = ASGIConnection[Any, Any, Any, Any](scope).cookies
            session = self.authenticator.sessions.read(cookies.get(COOKIE, ""))
            return None if session is None else float(session.expires_at)
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "basic" or (
            scheme.lower() == "bearer" and value.strip().startswith(API_KEY_PREFIX)
        ):
            return math.inf
        return None

    async def _refuse(self, message: SubscribeMessage, error: GraphQLError) -> None:
        """Answer a subscribe message with one error, as the protocol's `error` message."""
        payload = [error.formatted]
        await self.send_message({"id": message["id"], "type": "error", "payload": payload})


def transport_ws_handler(
    gate: SocketGate,
    max_operations: int,
    authenticator: Authenticator,
    public_url: str,
    watch: CredentialWatch,
) -> type[CrmTransportWSHandler]:
    """The handler class of one app: its gate, its per-socket limit, what re-checks a
    credential, and when it needs to."""
    return type(
        "AppTransportWSHandler",
        (CrmTransportWSHandler,),
        {
            "gate": gate,
            "max_operations": max_operations,
            "authenticator": authenticator,
            "public_url": public_url,
            "watch": watch,
        },
    )
