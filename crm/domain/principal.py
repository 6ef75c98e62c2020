"""Who is calling: the small principal the transports pass down, and the scopes it may hold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """What a credential allows."""

    RINGOTEL = "ringotel"
    """The Ringotel REST facade."""
    READ = "crm:read"
    """GraphQL queries."""
    WRITE = "crm:write"
    """GraphQL mutations."""
    ADMIN = "admin"
    """Users and credentials."""
    METRICS = "metrics"
    """The Prometheus metrics at `/metrics`."""


ALL_SCOPES: frozenset[str] = frozenset(scope.value for scope in Scope)

OPERATOR_SCOPES: frozenset[str] = frozenset({Scope.ADMIN.value, Scope.METRICS.value})
"""The scopes only an admin may grant a client when signing in to authorize it."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a CRM user, an OAuth2 client or an API key."""

    subject: str
    scopes: frozenset[str]
    kind: str = "user"
    """`user`, `client` or `apikey`."""
    user_id: str | None = None
    """The CRM user acting, when a person authorized the credential."""

    def has(self, scope: Scope | str) -> bool:
        return str(scope) in self.scopes


SYSTEM = Principal(subject="system", scopes=ALL_SCOPES, kind="system")
"""The CRM acting for itself (CLI commands, seeding); never handed to a request."""
