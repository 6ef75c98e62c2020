"""Every HTTP request watched in one place: its request id, its log line, its metrics.

The middleware runs first on every routed request. It keeps a sane incoming
`X-Request-ID` (or makes one), returns it in the response, binds it to every log line
written while the request runs, and at the end logs one `request` line (route
template, status, duration, the client's address, the credential's id: never a
header, a body or a query string) and counts the request by route template, never by
raw path. A request that matches no route never reaches a route's middleware:
`before_send` gives it its id, line and count (route `unmatched`).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from litestar import get
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response import Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from piccolo.engine.base import Engine
from structlog.contextvars import bound_contextvars

from crm.domain.principal import Principal
from crm.metrics import (
    HTTP_DURATION,
    HTTP_REQUESTS,
    RINGOTEL_HOOKS,
    exposition,
    observe_pool,
)
from facade.auth.limits import client_address
from facade.auth.middleware import PRINCIPAL_KEY
from facade.auth.policy import METRICS_PATH
from facade.ringotel.hooks import HOOK, HookOpt

REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_KEY = "crm.request_id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
"""An incoming id kept as it is: at most 128 characters, none that could break a log line."""
UNMATCHED = "unmatched"

log = logging.getLogger("crm.http")


def request_id_of(scope: Scope) -> str:
    """The request's id: the client's `X-Request-ID` when sane, else a new one."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(text):
                return text
            break
    return uuid.uuid4().hex


def _credential(scope: Scope) -> dict[str, str]:
    principal = scope.get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        return {}
    return {"credential_id": principal.subject, "credential_kind": principal.kind}


def _finished(
    scope: Scope, route: str, status: int, duration_s: float | None, **extra: str
) -> None:
    method = scope.get("method", "")
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    fields: dict[str, Any] = {
        "method": method,
        "route": route,
        "path": scope["path"],
        "status": status,
        "client": client_address(scope),
        **_credential(scope),
        **extra,
    }
    if duration_s is not None:
        HTTP_DURATION.labels(method, route).observe(duration_s)
        fields["duration_ms"] = round(duration_s * 1000, 2)
    log.info("request", extra=fields)


class ObserveMiddleware(ASGIMiddleware):
    """Request ids, the request log line and the request metrics, for every HTTP request."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, engine: Engine[Any]) -> None:
        self._engine = engine

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = request_id_of(scope)
        scope[REQUEST_ID_KEY] = request_id  # type: ignore[literal-required]
        route = scope.get("path_template") or UNMATCHED
        handler = scope.get("route_handler")
        hook = handler.opt.get(HOOK) if handler is not None else None
        hook_name = hook.name if isinstance(hook, HookOpt) else None
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with bound_contextvars(request_id=request_id):
            try:
                await next_app(scope, receive, send_with_id)
            finally:
                extra = {}
                if hook_name is not None:
                    RINGOTEL_HOOKS.labels(hook_name, str(status)).inc()
                    extra["hook"] = hook_name
                _finished(scope, route, status, time.perf_counter() - started, **extra)
                observe_pool(self._engine)


async def observe_unmatched(message: Message, scope: Scope) -> None:
    """`before_send`: the id, line and count of a request no route matched (a 404, a 405
    before routing); a routed request has them from the middleware already."""
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    if REQUEST_ID_KEY in scope:
        return
    request_id = request_id_of(scope)
    scope[REQUEST_ID_KEY] = request_id  # type: ignore[literal-required]
    MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id
    with bound_contextvars(request_id=request_id):
        _finished(scope, UNMATCHED, message["status"], None)


@get(METRICS_PATH, include_in_schema=False, sync_to_thread=False)
def metrics() -> Response[bytes]:
    """The Prometheus metrics of every worker (the policy asks for the `metrics` scope)."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)
