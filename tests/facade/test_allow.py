"""`OPTIONS` names every method a path serves (Litestar 2 named only its first handler's)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/ringotel/v1/contacts", "GET, OPTIONS, POST"),
        ("/ringotel/v1/activities/0/recording", "GET, OPTIONS, POST"),
        ("/oauth/authorize", "GET, OPTIONS, POST"),
        ("/graphql", "GET, OPTIONS, POST"),
        ("/health", "GET, OPTIONS"),
    ],
)
async def test_suite_options_allows_every_method_of_the_path(
    anonymous: httpx.AsyncClient, path: str, methods: str
) -> None:
    response = await anonymous.options(path)
    assert response.status_code == 204, response.text
    assert response.headers["allow"] == methods


async def test_suite_every_documented_method_is_allowed(client: httpx.AsyncClient) -> None:
    """The OpenAPI document and `Allow` agree on every path."""
    document = (await client.get("/docs/openapi.json")).json()
    for path, item in document["paths"].items():
        documented = {method.upper() for method in item if method != "parameters"}
        concrete = path.replace("{contact_id}", "0").replace("{activity_id}", "0")
        allowed = set((await client.options(concrete)).headers["allow"].split(", "))
        assert documented <= allowed, (path, documented, allowed)
