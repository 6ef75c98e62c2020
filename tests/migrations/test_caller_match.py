"""The caller_match migration on a database that already holds calls: they keep
everything, and say nothing of how their contact was found (it was not recorded)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.migrations.old_databases import database_before, migrate, run_sql

BEFORE = "2026-12-02T09:00:00:000000"
"""The last migration before calls said how their contact was found."""


async def test_calls_written_before_the_column_keep_their_rows_and_no_match(
    tmp_path: Path,
) -> None:
    async with database_before(BEFORE, tmp_path, "before_caller_match") as url:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        await run_sql(
            url,
            "INSERT INTO crm_activity (id, call_id, direction, status, started_at,"
            " created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
            uuid.uuid4(),
            "old-call",
            "inbound",
            "completed",
            at,
            at,
            at,
        )
        migrate(url)
        rows = await run_sql(url, "SELECT call_id, status, caller_match FROM crm_activity")
        assert [dict(row) for row in rows] == [
            {"call_id": "old-call", "status": "completed", "caller_match": None}
        ]
        await run_sql(url, "UPDATE crm_activity SET caller_match = {}", "contact_number")
        found = await run_sql(url, "SELECT caller_match FROM crm_activity")
        assert [row["caller_match"] for row in found] == ["contact_number"]
