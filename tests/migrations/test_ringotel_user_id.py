"""The ringotel_user_id migration on a database that already holds users: they keep
everything and remember no Ringotel id until its webhook names one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.migrations.old_databases import database_before, migrate, run_sql

BEFORE = "2026-12-01T10:00:00:000000"
"""The last migration before users remembered Ringotel's id of them."""


async def test_users_written_before_the_column_keep_their_rows_and_can_remember_an_id(
    tmp_path: Path,
) -> None:
    async with database_before(BEFORE, tmp_path, "before_ringotel_user_id") as url:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        user = uuid.uuid4()
        await run_sql(
            url,
            "INSERT INTO crm_user (id, email, extension, is_active, is_admin, password_hash,"
            " first_name, last_name, created_at, updated_at)"
            " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            user,
            "agent@example.com",
            "500",
            True,
            False,
            "x",
            "Ann",
            "",
            at,
            at,
        )
        migrate(url)
        rows = await run_sql(url, "SELECT email, extension, ringotel_user_id FROM crm_user")
        assert [dict(row) for row in rows] == [
            {"email": "agent@example.com", "extension": "500", "ringotel_user_id": None}
        ]
        await run_sql(
            url,
            "UPDATE crm_user SET ringotel_user_id = {} WHERE id = {}",
            "17295348437628309790",
            user,
        )
        found = await run_sql(
            url, "SELECT email FROM crm_user WHERE ringotel_user_id = {}", "17295348437628309790"
        )
        assert [row["email"] for row in found] == ["agent@example.com"]
