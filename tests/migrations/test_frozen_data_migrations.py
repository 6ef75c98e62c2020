"""Data migrations hold the code they run: a later change to the live code cannot change
what migrating an old database does."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.migrations.old_databases import database_before, migrate, run_sql
from tests.migrations.test_search_text import BEFORE_SEARCH_TEXT

MIGRATIONS = Path(__file__).resolve().parents[2] / "crm" / "piccolo_migrations"
LIVE_CODE = ("crm.domain", "crm.queries", "crm.graphql", "crm.tables", "facade")


def test_data_migrations_import_no_live_code() -> None:
    bad: list[str] = []
    for path in sorted(MIGRATIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            bad += [f"{path.name} imports {n}" for n in names if n.startswith(LIVE_CODE)]
    assert not bad, "\n".join(bad)


async def test_the_search_text_migration_folds_as_it_did(tmp_path: Path) -> None:
    async with database_before(BEFORE_SEARCH_TEXT, tmp_path, "frozen_search_text") as url:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        await run_sql(
            url,
            "INSERT INTO crm_contact (id, first_name, last_name, email, created_at, updated_at)"
            " VALUES ({}, {}, {}, {}, {}, {})",
            uuid.uuid4(),
            "STRAẞE",
            "\uff2d\u00fcller",  # a fullwidth M
            "Ada@Example.COM",
            at,
            at,
        )
        migrate(url)
        rows = await run_sql(url, "SELECT search_text FROM crm_contact")
        assert [row["search_text"] for row in rows] == ["strasse müller\nada@example.com"]
