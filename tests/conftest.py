"""Test set-up: a real database (SQLite, or PostgreSQL from CRM_TEST_DATABASE_URL),
migrated once per session with the project's migrations, emptied before each test,
and the real app from the factory, served in-process over HTTP.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

_tmp = Path(tempfile.mkdtemp(prefix="crm-tests-"))
DATABASE_URL = os.environ.get("CRM_TEST_DATABASE_URL") or f"sqlite:///{_tmp / 'test.sqlite'}"
# piccolo_conf (used by the migrations) reads the same variable the app does.
os.environ["CRM_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("CRM_SECRET_KEY", "test-secret-key-that-is-long-enough-for-hs256")

from crm.db import bind_tables, make_engine  # noqa: E402
from crm.settings import Settings, load_settings  # noqa: E402
from crm.tables import TABLES  # noqa: E402
from facade.app import create_app  # noqa: E402

IS_POSTGRES = DATABASE_URL.startswith("postgres")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test app: the test database and a private recordings folder."""
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "recordings_dir": tmp_path / "recordings",
        "public_url": "http://crm.test",
        "secret_key_file": tmp_path / "secret-key",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> None:
    """Apply the project's migrations once, as `crm migrate` does."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="crm")
    assert result.success, result.message


@pytest.fixture(autouse=True)
async def empty_database(migrated_database: None) -> None:
    """Every test starts from empty tables."""
    engine = make_engine(DATABASE_URL)
    bind_tables(engine)
    names = ", ".join(table._meta.tablename for table in TABLES)
    if IS_POSTGRES:
        await engine.run_ddl(f"TRUNCATE {names} CASCADE")
    else:
        for table in reversed(TABLES):
            await engine.run_ddl(f"DELETE FROM {table._meta.tablename}")  # noqa: S608 (our names)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the real app over ASGI, inside its lifespan.

    The app runs on the test's own event loop, so the test may query the
    database through the same engine the app opened.
    """
    # Requests go to the app itself, not to LifespanManager's wrapper: the wrapper
    # shares one lifespan `state` dict between requests, where Litestar caches
    # each request's parsed body.
    asgi_app: Any = app  # Litestar is an ASGI app; its precise types differ from httpx's
    async with (
        LifespanManager(asgi_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app), base_url="http://crm.test"
        ) as http,
    ):
        yield http
