"""The search_text migrations on a database that already holds contacts and companies:
the rows written before the column are found by the text filters afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from facade.app import create_app
from tests.conftest import full_access_key, make_settings
from tests.graphql_client import gql
from tests.migrations.old_databases import database_before, migrate, run_sql

BEFORE_SEARCH_TEXT = "2026-11-30T13:41:00:000000"
"""The last migration before `search_text` existed."""


@pytest.fixture
async def old_database(tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own, migrated up to just before `search_text`."""
    async with database_before(BEFORE_SEARCH_TEXT, tmp_path, "before_search_text") as url:
        yield url


async def test_rows_written_before_search_text_are_found_by_text_after_migrating(
    tmp_path: Path, old_database: str
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    company = uuid.uuid4()
    await run_sql(
        old_database,
        "INSERT INTO crm_company (id, name, created_at, updated_at) VALUES ({}, {}, {}, {})",
        company,
        "Straße Bau",
        at,
        at,
    )
    await run_sql(
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
    migrate(old_database)

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
