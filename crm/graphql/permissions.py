"""Permission classes: one rule per scope, reading the principal from the context."""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from crm.domain.errors import ErrorCode
from crm.domain.principal import Scope
from crm.graphql.context import Info


class _RequiresScope(BasePermission):
    scope: ClassVar[Scope]
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 (read-only)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.has(self.scope)


class CanRead(_RequiresScope):
    """Queries need `crm:read`."""

    scope = Scope.READ
    message = "this needs the crm:read scope"


class CanWrite(_RequiresScope):
    """Mutations need `crm:write`."""

    scope = Scope.WRITE
    message = "this needs the crm:write scope"


class IsAdmin(_RequiresScope):
    """Users and credentials need `admin`."""

    scope = Scope.ADMIN
    message = "this needs the admin scope"
