"""The search_text migrations on a database that already holds contacts and companies:
the rows written before the column are found by the text filters afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from piccolo.querystring import QueryString

from crm.db import close_engine, make_engine, open_engine
from facade.app import create_app
from tests.conftest import DATABASE_URL, IS_POSTGRES, full_access_key, make_settings
from tests.graphql_client import gql

BEFORE_SEARCH_TEXT = "2026-11-30T13:41:00:000000"
"""The last migration before `search_text` existed."""


def _migrate(url: str, *target: str) -> None:
    """Run the project's migrations on `url`, up to `target` when given, as a shell would."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "crm", *target],
        env={**os.environ, "CRM_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
async def old_database(tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own, migrated up to just before `search_text`."""
    if not IS_POSTGRES:
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
        _migrate(url, BEFORE_SEARCH_TEXT)
        yield url
        return
    parts = urlsplit(DATABASE_URL)
    name = f"{parts.path.lstrip('/')}_before_search_text"
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        _migrate(url, BEFORE_SEARCH_TEXT)
        yield url
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _insert(url: str, sql: str, *values: Any) -> None:
    engine = make_engine(url)
    await open_engine(engine, pool_min=1, pool_max=1)
    try:
        await engine.run_querystring(QueryString(sql, *values))
    finally:
        await close_engine(engine)


async def test_rows_written_before_search_text_are_found_by_text_after_migrating(
    tmp_path: Path, old_database: str
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    company = uuid.uuid4()
    await _insert(
        old_database,
        "INSERT INTO crm_company (id, name, created_at, updated_at) VALUES ({}, {}, {}, {})",
        company,
        "Straße Bau",
        at,
        at,
    )
    await _insert(
        old_database,
        "INSERT INTO crm_contact (id, first_name, last_name, email, company, created_at,"
        " updated_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
        uuid.uuid4(),
        "Ärne",
        "Öberg",
        "arne@example.com",
        company,
        at,
        at,
    )
    _migrate(old_database)

    app: Any = create_app(make_settings(tmp_path, database_url=old_database))
    contacts = "query($t: String) { contacts(filter: {text: $t}) { nodes { lastName } } }"
    companies = "query($t: String) { companies(filter: {text: $t}) { nodes { name } } }"
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        http.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        for text in ("ärne öberg", "ARNE@", "STRASSE"):
            data = await gql(http, contacts, {"t": text})
            assert data["contacts"]["nodes"] == [{"lastName": "Öberg"}], text
        data = await gql(http, companies, {"t": "STRASSE"})
        assert data["companies"]["nodes"] == [{"name": "Straße Bau"}]
