"""`/graphql`: Strawberry's Litestar controller with our typed context."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from strawberry.litestar import make_graphql_controller

from crm.domain.principal import Principal
from crm.graphql.context import Context, new_context
from crm.graphql.limits import budgets
from crm.graphql.schema import schema
from crm.settings import Settings


def request_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller the auth middleware authenticated, if any."""
    principal = request.scope.get("crm.principal")
    return principal if isinstance(principal, Principal) else None


def graphql_controller(settings: Settings) -> type:
    limits = budgets(settings)

    async def graphql_context(request: Request[Any, Any, Any], state: State) -> Context:
        principal = request_principal(request)
        return new_context(state.services, principal, limits.for_principal(principal))

    return make_graphql_controller(
        schema,
        path="/graphql",
        graphql_ide="graphiql" if settings.graphiql else None,
        context_getter=graphql_context,
        multipart_uploads_enabled=True,
        allow_queries_via_get=False,
    )
