"""The guard that authorizes: the route's rule against the authenticated principal.

Refusals are 403 (Ringotel's rule for bad credentials) with a JSON body from the
app's error handler and an RFC 6750 `WWW-Authenticate` challenge.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from crm.domain.principal import Principal, Scope
from facade.auth.middleware import FAILURE_KEY, NO_CREDENTIALS, PRINCIPAL_KEY, AuthFailure
from facade.auth.policy import Access, access_rule, readable_with

REALM = "crm"


def challenge(error: str | None = None, description: str | None = None, scope: str = "") -> str:
    """A `WWW-Authenticate` value for Bearer (RFC 6750 §3); Basic is accepted as well."""
    parts = [f'Bearer realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return ", ".join(parts)


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Let the request through when its principal holds the scope its route needs.

    A coroutine though it waits on nothing: Litestar runs a plain function guard in a
    worker thread, a hop per request for a few attribute reads.
    """
    rule = access_rule(connection.scope["path"], handler.opt)
    if isinstance(rule, Access):
        return  # open, or GraphQL, whose permission classes decide per field
    found = connection.scope.get(PRINCIPAL_KEY) or connection.scope.get(FAILURE_KEY)
    method = connection.scope.get("method")
    also = readable_with(connection.scope["path"], method if isinstance(method, str) else "GET")
    if also is not None and isinstance(found, Principal) and found.has(also):
        return
    require(found if isinstance(found, Principal | AuthFailure) else None, rule)


def require(found: Principal | AuthFailure | None, rule: Scope) -> Principal:
    """The principal, when it holds the scope `rule`; else the 403 that says why not."""
    if not isinstance(found, Principal):
        failure = found if isinstance(found, AuthFailure) else NO_CREDENTIALS
        raise PermissionDeniedException(
            detail=failure.message,
            headers={"WWW-Authenticate": challenge(failure.error, failure.message)},
        )
    principal = found
    if not principal.has(rule):
        message = f"this needs the {rule.value} scope"
        raise PermissionDeniedException(
            detail=message,
            headers={"WWW-Authenticate": challenge("insufficient_scope", message, rule.value)},
        )
    return principal
