"""Databases migrated up to an older migration, to test what a later one does to old rows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from piccolo.querystring import QueryString

from crm.engine import close_engine, make_engine, open_engine
from tests.conftest import DATABASE_URL, IS_POSTGRES


def migrate(url: str, *target: str) -> None:
    """Run the project's migrations on `url`, up to `target` when given, as a shell would."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "crm", *target],
        env={**os.environ, "CRM_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@asynccontextmanager
async def database_before(migration_id: str, tmp_path: Path, label: str) -> AsyncIterator[str]:
    """A database of its own (named after `label`), migrated up to `migration_id`."""
    if not IS_POSTGRES:
        url = f"sqlite:///{tmp_path / f'{label}.sqlite'}"
        migrate(url, migration_id)
        yield url
        return
    parts = urlsplit(DATABASE_URL)
    name = f"{parts.path.lstrip('/')}_{label}"
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        migrate(url, migration_id)
        yield url
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def run_sql(url: str, sql: str, *values: Any) -> list[Any]:
    """Run one statement on the database at `url`; its rows."""
    engine = make_engine(url)
    await open_engine(engine, pool_min=1, pool_max=1)
    try:
        rows: list[Any] = await engine.run_querystring(QueryString(sql, *values))
        return rows
    finally:
        await close_engine(engine)
