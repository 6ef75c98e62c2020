"""Probes: /health while the process is up, /ready while the database answers;
503s while the database is away and recovery without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from facade.app import create_app
from tests.conftest import DATABASE_URL, IS_POSTGRES, make_settings
from tests.graphql_client import gql


async def test_health_and_ready_answer_ok(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


async def test_unknown_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


async def test_start_up_fails_fast_on_an_unreachable_database(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, database_url="postgresql://postgres@127.0.0.1:1/nowhere", db_pool_min=1
    )
    app: Any = create_app(settings)
    with pytest.raises(BaseExceptionGroup) as caught:
        async with LifespanManager(app):
            pass
    assert any(isinstance(exc, OSError) for exc in _leaves(caught.value))


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (possibly nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _admin_url() -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path="/postgres"))


@pytest.fixture
async def outage_database() -> AsyncIterator[str]:
    """A database of its own, migrated by `crm migrate`, that the test can cut off."""
    name = f"crm_outage_{os.getpid()}"
    admin = await asyncpg.connect(_admin_url())
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/{name}"))
    migrate = subprocess.run(  # noqa: ASYNC221 (a one-off set-up step)
        [sys.executable, "-m", "crm.cli", "migrate"],
        env={**os.environ, "CRM_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    try:
        yield url
    finally:
        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.mark.skipif(not IS_POSTGRES, reason="an outage of a server needs a server")
async def test_database_outage_answers_503_and_recovers_by_itself(
    tmp_path: Path, outage_database: str
) -> None:
    app: Any = create_app(make_settings(tmp_path, database_url=outage_database, db_pool_min=1))
    name = urlsplit(outage_database).path.lstrip("/")
    admin = await asyncpg.connect(_admin_url())
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        assert (await http.get("/ready")).status_code == 200
        _, key = await app.state.services.credentials.create_api_key("probe", ["crm:read"])
        http.headers["Authorization"] = f"Bearer {key}"

        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            name,
        )
        ready = await http.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert (await http.get("/health")).status_code == 200
        # The credentials cannot be checked while the database is away: 503, not 403.
        outage = await http.post("/graphql", json={"query": "{ users { nodes { id } } }"})
        assert outage.status_code == 503
        assert outage.json()["error"] == "UNAVAILABLE"

        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        assert (await http.get("/ready")).status_code == 200
        data = await gql(http, "{ users { nodes { id } } }")
        assert data["users"]["nodes"] == []
    await admin.close()
