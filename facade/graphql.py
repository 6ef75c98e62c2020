"""`/graphql`: Strawberry's Litestar controller with our typed context.

On top of Strawberry's controller: a body that is not JSON (invalid UTF-8, arrays
nested past what the decoder can follow) is a 400 with a code, never a 500; every
transport-level refusal is a GraphQL-shaped JSON error with a code; and a client
whose `Accept` prefers `application/graphql-response+json` (the GraphQL-over-HTTP
media type) gets it, with 400 when the request failed before execution (parse,
validation, limits, variables), as that specification asks.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from litestar import MediaType, Request, Response
from litestar.datastructures import State
from strawberry.http import GraphQLHTTPResponse
from strawberry.litestar import make_graphql_controller
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from crm.domain.events import CredentialChanges
from crm.domain.principal import Principal
from crm.graphql.context import Context, new_context
from crm.graphql.limits import LimitCode, budgets
from crm.graphql.schema import schema
from crm.settings import Settings
from facade.auth.middleware import Authenticator
from facade.graphiql import graphiql_html
from facade.websocket import (
    CredentialWatch,
    SocketAuthenticator,
    SocketGate,
    transport_ws_handler,
)

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
_REQUEST_ERROR = "crm.graphql_request_error"
"""Set in the request's scope when its result is a request error (nothing was executed)."""

_HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def request_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller the auth middleware authenticated, if any."""
    principal = request.scope.get("crm.principal")
    return principal if isinstance(principal, Principal) else None


def response_media_type(request: Request[Any, Any, Any]) -> str:
    """`application/graphql-response+json` when the client's Accept prefers it, else JSON
    (also for `*/*` and no Accept at all, as GraphQL-over-HTTP says for older clients)."""
    return request.accept.best_match([JSON, GRAPHQL_RESPONSE], default=JSON)


def is_request_error(result: ExecutionResult) -> bool:
    """A result without data whose errors concern the request itself (none has a path);
    a time limit reached while executing is not one."""
    errors = result.errors or []
    return (
        result.data is None
        and bool(errors)
        and all(
            error.path is None and (error.extensions or {}).get("code") != LimitCode.TIMEOUT.value
            for error in errors
        )
    )


def graphql_controller(
    settings: Settings, authenticator: Authenticator, changes: CredentialChanges
) -> type:
    """`/graphql` over HTTP and over WebSocket (`graphql-transport-ws` only: the one
    protocol whose `connection_init` every socket is authenticated at); `changes` tells
    the sockets when to check their credentials again."""
    limits = budgets(settings)
    sockets = SocketAuthenticator(authenticator, limits)

    async def graphql_context(request: Request[Any, Any, Any], state: State) -> Context:
        principal = request_principal(request)
        return new_context(state.services, principal, limits.for_principal(principal))

    base = make_graphql_controller(
        schema,
        path="/graphql",
        graphql_ide="graphiql" if settings.graphiql else None,
        context_getter=graphql_context,
        multipart_uploads_enabled=True,
        allow_queries_via_get=False,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_s),
        max_subscriptions_per_connection=None,  # ours, with a code (facade.websocket)
    )

    class CrmGraphQLController(base):  # type: ignore[valid-type,misc]
        # GraphQL is described by its own schema (`schema.graphql`, introspection), not by
        # the OpenAPI document: Strawberry's controller declares none of its statuses,
        # media types or credentials, so an entry there would only mislead.
        include_in_schema = False
        graphql_transport_ws_handler_class = transport_ws_handler(
            SocketGate(settings.ws_max_connections),
            settings.ws_max_subscriptions,
            authenticator,
            settings.public_url,
            CredentialWatch(changes, settings.ws_recheck_s),
        )

        async def on_ws_connect(self, context: Context) -> None:
            await sockets.connect(context)

        async def render_graphql_ide(self, request: Request[Any, Any, Any]) -> Response[str]:
            # Our page, not Strawberry's: it loads the vendored GraphiQL, not a CDN's.
            return Response(graphiql_html(), media_type=MediaType.HTML)

        def decode_json(self, data: str | bytes) -> object:
            try:
                return super().decode_json(data)
            except UnicodeDecodeError:
                raise HTTPException(400, "The request body is not valid UTF-8.") from None
            except RecursionError:
                raise HTTPException(400, "The request body's JSON is nested too deeply.") from None
            except json.JSONDecodeError:
                raise  # Strawberry answers it (400)
            except ValueError:  # a number of more digits than Python reads
                raise HTTPException(
                    400, "The request body's JSON holds a number too long."
                ) from None

        async def process_result(
            self, request: Request[Any, Any, Any], result: ExecutionResult
        ) -> GraphQLHTTPResponse:
            response: GraphQLHTTPResponse = await super().process_result(request, result)
            if response_media_type(request) == GRAPHQL_RESPONSE and is_request_error(result):
                request.scope[_REQUEST_ERROR] = True  # type: ignore[literal-required]
                response.pop("data", None)  # a request error has no `data` entry
            return response

        async def execute_request(
            self, request: Request[Any, Any, Any], context: Any, root_value: Any
        ) -> Response[Any]:
            media_type = response_media_type(request)
            try:
                response: Response[Any] = await self.run(
                    request, context=context, root_value=root_value
                )
            except HTTPException as exc:
                code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
                body = {"errors": [{"message": exc.reason, "extensions": {"code": code}}]}
                return Response(body, status_code=exc.status_code, media_type=media_type)
            if media_type == GRAPHQL_RESPONSE and response.media_type == JSON:
                response.media_type = GRAPHQL_RESPONSE
                if request.scope.get(_REQUEST_ERROR):
                    response.status_code = 400
            return response

    return CrmGraphQLController
