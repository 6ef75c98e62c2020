"""Permission classes: one rule per scope, reading the principal from the context.

The `ringotel` scope stands for the reads and writes of the REST facade's prepared
operations, and for nothing else: a credential made for Ringotel alone
(`--scope ringotel`) runs every hook, and no GraphQL document of its own.
"""

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
        context = info.context
        principal = context.principal
        if principal is None:
            return False
        if principal.has(self.scope):
            return True
        return context.prepared and self.scope in HOOK_SCOPES and principal.has(Scope.RINGOTEL)


HOOK_SCOPES = frozenset({Scope.READ, Scope.WRITE})
"""What the `ringotel` scope allows within the facade's prepared operations."""


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
