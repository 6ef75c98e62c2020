"""The typed per-request context: services, DataLoaders and the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.litestar import BaseContext

from crm.domain.principal import Principal
from crm.domain.services import Services
from crm.graphql.limits import Budget
from crm.graphql.loaders import Loaders


class Context(BaseContext, kw_only=True):
    """What every resolver gets as `info.context`; created afresh for each request."""

    services: Services
    principal: Principal | None
    loaders: Loaders
    budget: Budget | None = None
    """What the request may ask for (see `crm.graphql.limits`); None: the default budget."""
    connection_params: dict[str, object] | None = None
    """A GraphQL WebSocket's `connection_init` payload (where its credential may be)."""
    prepared: bool = False
    """The request runs one of the REST facade's prepared operations (documents fixed and
    checked at start-up), never a document a client sent; the permission classes read it."""


def new_context(
    services: Services,
    principal: Principal | None,
    budget: Budget | None = None,
    *,
    prepared: bool = False,
) -> Context:
    """A context with fresh DataLoaders, so no cached row outlives its request."""
    return Context(
        services=services,
        principal=principal,
        loaders=Loaders(services),
        budget=budget,
        prepared=prepared,
    )


if TYPE_CHECKING:
    Info = strawberry.Info[Context, Any]
else:
    Info = strawberry.Info
