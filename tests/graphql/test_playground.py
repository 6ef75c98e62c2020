"""The GraphiQL playground at /graphql, switched by CRM_GRAPHIQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from facade.app import create_app
from tests.conftest import make_settings

BROWSER = {"Accept": "text/html"}


async def test_graphiql_is_served_to_a_browser_without_credentials(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_off_serves_no_playground(tmp_path: Path) -> None:
    app: Any = create_app(make_settings(tmp_path, graphiql=False))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        response = await http.get("/graphql", headers=BROWSER)
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()
