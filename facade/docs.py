"""The API docs at `/docs` (Scalar) and `/docs/swagger` (Swagger UI), each page with the
Content-Security-Policy that lets exactly its scripts and stylesheets load.

Both load the vendored builds (`facade/assets.py`) from the app's own origin, so they work
offline; Scalar is told to leave out the fonts it would take from fonts.scalar.com, and
the parts of it that call Scalar's services. A page is drawn from a template and the
app's own OpenAPI document, never from request data, so hashing its inline scripts
allows only what the template put there.
"""

from __future__ import annotations

import html
from typing import Any, cast

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin, SwaggerRenderPlugin

from facade.assets import asset, script, script_json
from facade.security_headers import PAGE_POLICY_KEY, trusted_page_policy

FAVICON = '<link rel="icon" href="/ringotel/logo.svg">'

SCALAR_OPTIONS: dict[str, Any] = {
    "withDefaultFonts": False,  # else a stylesheet from fonts.scalar.com; system fonts instead
    "telemetry": False,
    "showDeveloperTools": "never",
    "agent": {"disabled": True},
    "mcp": {"disabled": True},
}
"""Scalar's configuration (the names of @scalar/api-reference 1.76), besides the document URL."""

ZOD_WITHOUT_EVAL = "globalThis.__zod_globalConfig = { jitless: true };"
"""Zod (inside Scalar) probes `Function("")` to compile its parsers, a CSP violation under a
policy without `'unsafe-eval'`; its documented global config turns the probe off."""


def _with_policy(request: Request[Any, Any, Any], page: bytes) -> bytes:
    cast("dict[str, Any]", request.scope)[PAGE_POLICY_KEY] = trusted_page_policy(page.decode())
    return page


class ScalarDocs(OpenAPIRenderPlugin):
    """Scalar's page, from the vendored standalone build, with its policy."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        options = {"url": self.get_openapi_json_route(request), **SCALAR_OPTIONS}
        # Not `id="api-reference"`: the standalone build mounts a second, unconfigured
        # instance (default fonts and all) on an element of that id by itself.
        page = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(openapi_schema["info"]["title"])}</title>
    {FAVICON}
  </head>
  <body>
    <div id="scalar"></div>
    <script>{ZOD_WITHOUT_EVAL}</script>
    {script("@scalar/api-reference", "dist/browser/standalone.js")}
    <script>Scalar.createApiReference("#scalar", {script_json(options)});</script>
  </body>
</html>
"""
        return _with_policy(request, page.encode())


class SwaggerDocs(SwaggerRenderPlugin):
    """Swagger UI's page (Litestar's template), from the vendored build, with its policy."""

    def __init__(self, *, path: str) -> None:
        package = "swagger-ui-dist"
        super().__init__(
            path=path,
            js_url=asset(package, "swagger-ui-bundle.js").url,
            css_url=asset(package, "swagger-ui.css").url,
            standalone_preset_js_url=asset(package, "swagger-ui-standalone-preset.js").url,
            favicon=FAVICON,
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _with_policy(request, super().render(request, openapi_schema))
