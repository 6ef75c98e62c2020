"""The migration to one user per active extension and NFKC case-folded emails, on a
database that already holds users and contacts written the old way."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from crm.queries.driver_errors import is_unique_violation
from tests.migrations.old_databases import database_before, migrate, run_sql

BEFORE = "2026-11-30T16:35:20:000000"
"""The last migration before extensions were unique and emails NFKC case-folded."""
AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def old_database(tmp_path: Path) -> AsyncIterator[str]:
    async with database_before(BEFORE, tmp_path, "before_user_identity") as url:
        yield url


UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


async def add_user(url: str, email: str, extension: str | None, *, active: bool, n: int) -> None:
    await run_sql(
        url,
        "INSERT INTO crm_user (id, email, extension, is_active, is_admin, password_hash,"
        " first_name, last_name, created_at, updated_at)"
        " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        uuid.uuid4(),
        email,
        extension,
        active,
        False,
        "x",
        "",
        "",
        AT + timedelta(minutes=n),
        AT,
    )


async def test_shared_extensions_stay_with_the_first_user_and_emails_take_the_new_form(
    old_database: str,
) -> None:
    url = old_database
    await add_user(url, "first@example.com", "101", active=True, n=1)
    await add_user(url, "second@example.com", "101", active=True, n=2)
    await add_user(url, "gone@example.com", "101", active=False, n=3)
    await add_user(url, "\uff42ob@example.com", None, active=True, n=4)  # lowercased, not folded
    await add_user(url, "ann@example.com", None, active=True, n=5)
    await add_user(url, "\uff41nn@example.com", None, active=True, n=6)  # the second account
    await run_sql(
        url,
        "INSERT INTO crm_contact (id, first_name, last_name, email, search_text, created_at,"
        " updated_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
        uuid.uuid4(),
        "Cy",
        "",
        "\uff43y@example.com",
        "cy",
        AT,
        AT,
    )
    migrate(url)

    rows = await run_sql(url, "SELECT email, extension FROM crm_user ORDER BY created_at")
    assert [(row["email"], row["extension"]) for row in rows] == [
        ("first@example.com", "101"),
        ("second@example.com", None),
        ("gone@example.com", "101"),
        ("bob@example.com", None),
        ("ann@example.com", None),
        ("\uff41nn@example.com", None),
    ]
    contacts = await run_sql(url, "SELECT email FROM crm_contact")
    assert [row["email"] for row in contacts] == ["cy@example.com"]

    with pytest.raises(UNIQUE_VIOLATIONS) as refused:
        await add_user(url, "third@example.com", "101", active=True, n=7)
    assert is_unique_violation(refused.value), refused.value
    await add_user(url, "away@example.com", "101", active=False, n=8)
