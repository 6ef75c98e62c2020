"""Which credentials each route needs, decided in one place from its path (or its `opt`).

New routes are covered without being listed: everything under `/ringotel/v1/`
needs the `ringotel` scope, `/metrics` the `metrics` scope, `/graphql` authorizes field
by field, the console's CSV files what GraphQL asks for the same records (`/export/`:
`crm:read`, `/import/` and `/imports/`: `crm:write`), the few open
routes are named here (the console's page at `/` and its sign-in among them: they
read the session themselves), and anything else needs `admin` (closed unless opened).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from crm.domain.principal import Scope

OPEN_PATHS: frozenset[str] = frozenset({"/", "/health", "/ready", "/ringotel/integration.json"})
OPEN_PREFIXES: tuple[str, ...] = (
    "/oauth/",
    "/docs",
    "/ringotel/logo",
    "/assets/",
    "/session/",  # the console's sign-in and sign-out check their own credentials
    "/console/",
)
IN_BODY_PATHS: frozenset[str] = frozenset({"/ringotel/webhook"})
GRAPHQL_PATH = "/graphql"
METRICS_PATH = "/metrics"
RINGOTEL_PREFIX = "/ringotel/v1/"
EXPORT_PREFIX = "/export/"
IMPORT_PREFIXES = ("/import/", "/imports/")
_RECORDING_DOWNLOAD = re.compile(r"^/ringotel/v1/activities/[^/]+/recording$")


class Access(Enum):
    """What a route asks of its caller, besides a scope."""

    OPEN = "open"
    """No credentials; any sent are ignored."""
    GRAPHQL = "graphql"
    """Authenticated if credentials are sent; each field checks its own scope."""
    IN_BODY = "in_body"
    """The credential is an API key in the body (Ringotel's webhook): the handler checks
    it, for the `ringotel` scope; an `Authorization` header is ignored."""


def access_rule(path: str, opt: Mapping[str, Any] | None = None) -> Access | Scope:
    """The rule for a request path: open, GraphQL's own, or a scope to hold."""
    declared = (opt or {}).get("auth")
    if isinstance(declared, Access | Scope):
        return declared
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return Access.OPEN
    if path in IN_BODY_PATHS:
        return Access.IN_BODY
    if path == GRAPHQL_PATH or path.startswith(GRAPHQL_PATH + "/"):
        return Access.GRAPHQL
    if path.startswith(RINGOTEL_PREFIX):
        return Scope.RINGOTEL
    if path == METRICS_PATH:
        return Scope.METRICS
    if path.startswith(EXPORT_PREFIX):
        return Scope.READ
    if path.startswith(IMPORT_PREFIXES):
        return Scope.WRITE
    return Scope.ADMIN


def readable_with(path: str, method: str) -> Scope | None:
    """A second scope that also allows this request, besides its rule's, if any.

    A call's recording is downloaded (GET, HEAD) with `crm:read` as well as `ringotel`:
    GraphQL gives its address (`Recording.downloadUrl`) to whoever holds `crm:read`, and
    the console's audio element plays it from there, with the session's cookie.
    """
    if method in ("GET", "HEAD") and _RECORDING_DOWNLOAD.match(path):
        return Scope.READ
    return None
