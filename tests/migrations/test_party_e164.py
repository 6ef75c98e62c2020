"""The party_e164 migrations on a database that already holds calls: the line each old
call was on is filled in, so a main line ranks its contacts by who called from it last."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.migrations.old_databases import database_before, migrate, run_sql

BEFORE_PARTY_E164 = "2026-11-30T14:11:16:145149"
"""The last migration before `party_e164` existed."""


async def test_calls_logged_before_party_e164_get_their_line_after_migrating(
    tmp_path: Path,
) -> None:
    async with database_before(BEFORE_PARTY_E164, tmp_path, "before_party_e164") as url:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        calls = {
            "in": ("inbound", "(415) 555-0100", "+1 212 555 0199", "+14155550100"),
            "out": ("outbound", "+1 212 555 0199", "0044 20 7946 0018", "+442079460018"),
            "hidden": ("inbound", "anonymous", "+1 212 555 0199", None),
            # Read as the migration read them when it was written (its code is frozen).
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
        for call_id, (direction, caller, called, _) in calls.items():
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
            call_id: line for call_id, (*_, line) in calls.items()
        }
