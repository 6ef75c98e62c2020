"""`OPTIONS` answered with every method of the path, as the OpenAPI document lists them.

Litestar 2 builds a path's automatic OPTIONS answer when the path's first handler is
registered and keeps it when more handlers join the path, so `OPTIONS
/ringotel/v1/contacts` said `Allow: GET, OPTIONS` though the path also takes POST
(litestar-org/litestar#4169, fixed in Litestar 3 only). This middleware answers a plain
OPTIONS request from the app's route table instead. A CORS preflight (it carries
`Access-Control-Request-Method`) is left to the CORS handling.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class AllowMiddleware(ASGIMiddleware):
    """Answers `OPTIONS` with 204 and an `Allow` naming every method its path serves."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        if (
            scope.get("method") != "OPTIONS"
            or handler is None
            or "access-control-request-method" in Headers.from_scope(scope)
        ):
            await next_app(scope, receive, send)
            return
        table = Litestar.from_scope(scope).route_handler_method_map
        methods = {
            str(method)
            for path in handler.paths
            for method in table.get(path, {})
            if str(method) in HTTP_METHODS
        }
        if not methods:
            await next_app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(b"allow", ", ".join(sorted(methods | {"OPTIONS"})).encode())],
            }
        )
        await send({"type": "http.response.body", "body": b"", "more_body": False})
