"""The API docs at `/docs` (Scalar) and `/docs/swagger` (Swagger UI), each page with the
Content-Security-Policy that lets exactly its scripts and stylesheets load.

Both load their code from a CDN today; the policy names those URLs. The page is drawn
from Litestar's template and the app's own OpenAPI document, never from request data,
so hashing its inline scripts allows only what the template put there.
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Request
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from facade.security_headers import PAGE_POLICY_KEY, trusted_page_policy

SCALAR_FONTS = ("https://fonts.scalar.com",)
"""Where Scalar's own stylesheet, inserted as it runs, takes its fonts from."""


def _with_policy(request: Request[Any, Any, Any], page: bytes, **options: Any) -> bytes:
    cast("dict[str, Any]", request.scope)[PAGE_POLICY_KEY] = trusted_page_policy(
        page.decode(), **options
    )
    return page


class ScalarDocs(ScalarRenderPlugin):
    """Scalar's page, with its policy."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _with_policy(request, super().render(request, openapi_schema), fonts=SCALAR_FONTS)


class SwaggerDocs(SwaggerRenderPlugin):
    """Swagger UI's page, with its policy."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _with_policy(request, super().render(request, openapi_schema))
