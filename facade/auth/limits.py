"""Where a request comes from, and the 429 answer when it has failed too often.

The client address is the TCP peer, unless the peer is one of the configured
reverse proxies (`CRM_TRUSTED_PROXIES`): then uvicorn's own proxy-headers
middleware reads `X-Forwarded-For`, the same code `crm serve` gives the same
list. A forwarded address from anyone else is ignored.
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from crm.domain.ratelimit import Verdict
from crm.settings import Settings

POLICY = "failures"
"""The name of the one rate-limit policy: failed credentials per address and window."""


def proxy_headers_middleware(settings: Settings) -> list[Any]:
    """The middleware that believes `X-Forwarded-For` from the trusted proxies only (if any)."""
    trusted = settings.trusted_proxy_list
    if not trusted:
        return []

    def wrap(app: ASGIApp) -> ASGIApp:
        allowed: str | list[str] = "*" if trusted == ("*",) else list(trusted)
        wrapped: Any = ProxyHeadersMiddleware(app, trusted_hosts=allowed)  # type: ignore[arg-type]
        return wrapped  # type: ignore[no-any-return]

    return [wrap]


def client_address(scope: Scope) -> str:
    """The address the request came from (after the trusted proxies, if any)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def limit_headers(verdict: Verdict) -> dict[str, str]:
    """`Retry-After` and the IETF draft's `RateLimit-Policy` and `RateLimit` fields."""
    return {
        "Retry-After": str(verdict.reset_s),
        "RateLimit-Policy": f'"{POLICY}";q={verdict.limit};w={verdict.window_s}',
        "RateLimit": f'"{POLICY}";r={verdict.remaining};t={verdict.reset_s}',
    }


def too_many(verdict: Verdict) -> TooManyRequestsException:
    """The 429 for a request refused by the failure limit."""
    return TooManyRequestsException(
        detail="too many failed attempts; retry later", headers=limit_headers(verdict)
    )
