"""Data migrations hold the code they run: a later change to the live code cannot change
what migrating an old database does."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.migrations.old_databases import database_before, migrate, run_sql
from tests.migrations.test_party_e164 import BEFORE_PARTY_E164
from tests.migrations.test_search_text import BEFORE_SEARCH_TEXT

MIGRATIONS = Path(__file__).resolve().parents[2] / "crm" / "piccolo_migrations"
LIVE_CODE = ("crm.domain", "crm.queries", "crm.graphql", "crm.tables", "facade")

# (direction, from, to, the other party's E.164 as the migration wrote it with region US)
CALLS = {
    "tel": ("inbound", "tel:+14155550100", "100", "+14155550100"),
    "encoded-plus": ("inbound", "%2B14155550100", "100", "+14155550100"),
    "extension": ("inbound", "+1 (650) 253-0000 x 99", "100", "+16502530000"),
    "idd-011": ("outbound", "100", "011 44 20 7946 0018", "+442079460018"),
    "idd-00": ("outbound", "100", "00390612345678", "+390612345678"),
    "no-plus": ("outbound", "100", "861012345678", "+861012345678"),
    "local-only": ("inbound", "5550100", "100", None),
    "letters": ("inbound", "1-800-FLOWERS", "100", None),
    "too-short": ("outbound", "100", "12345", None),
}


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


async def test_the_party_e164_migration_reads_numbers_as_it_did(tmp_path: Path) -> None:
    async with database_before(BEFORE_PARTY_E164, tmp_path, "frozen_party_e164") as url:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        for call_id, (direction, caller, called, _) in CALLS.items():
            await run_sql(
                url,
                "INSERT INTO crm_activity (id, call_id, direction, status, from_number,"
                " to_number, started_at, created_at, updated_at)"
                " VALUES ({}, {}, {}, 'completed', {}, {}, {}, {}, {})",
                uuid.uuid4(),
                call_id,
                direction,
                caller,
                called,
                at,
                at,
                at,
            )
        migrate(url)
        rows = await run_sql(url, "SELECT call_id, party_e164 FROM crm_activity")
        assert {row["call_id"]: row["party_e164"] for row in rows} == {
            call_id: line for call_id, (*_, line) in CALLS.items()
        }


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
