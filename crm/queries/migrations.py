"""Which of the CRM's migrations a database has run, read without creating anything."""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine


async def applied_migrations(engine: Engine[Any]) -> set[str]:
    """The ids of the CRM's migrations the database has run; none before the first."""
    if isinstance(engine, PostgresEngine):
        exists = await engine.run_ddl("SELECT to_regclass('migration') IS NOT NULL AS found")
    else:
        exists = await engine.run_ddl(
            "SELECT count(*) > 0 AS found FROM sqlite_master"
            " WHERE type = 'table' AND name = 'migration'"
        )
    if not exists[0]["found"]:
        return set()
    rows = await engine.run_ddl("SELECT name FROM migration WHERE app_name = 'crm'")
    return {str(row["name"]) for row in rows}
