"""The migration that encrypts webhook signing secrets: a secret stored in plain text
before it is sealed under the key derived from CRM_SECRET_KEY, and opens to itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm.domain.secret_box import SecretBox
from crm.domain.webhooks import new_secret
from tests.migrations.old_databases import database_before, migrate, run_sql

BEFORE = "2026-12-03T09:00:01:000000"
"""The last migration before signing secrets were encrypted."""
KEY = "k" * 48


async def test_a_plain_secret_is_encrypted_and_opens_under_the_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_SECRET_KEY", KEY)
    async with database_before(BEFORE, tmp_path, "before_sealed_secrets") as url:
        secret = new_secret()
        at = datetime(2026, 1, 1, tzinfo=UTC)
        await run_sql(
            url,
            "INSERT INTO crm_webhook_endpoint"
            " (id, url, description, event_types, secret, enabled, created_at, updated_at)"
            " VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            uuid.uuid4(),
            "https://hooks.example.com/",
            "",
            "call.started",
            secret,
            True,
            at,
            at,
        )
        migrate(url)
        rows = await run_sql(
            url, "SELECT secret, previous_secret, previous_secret_until FROM crm_webhook_endpoint"
        )
        stored = rows[0]["secret"]
        assert secret not in stored
        assert not stored.startswith("whsec_")
        assert SecretBox(KEY).open(stored) == secret
        assert rows[0]["previous_secret"] is None
        assert rows[0]["previous_secret_until"] is None
        migrate(url)  # again: nothing left to do, nothing sealed twice
        again = await run_sql(url, "SELECT secret FROM crm_webhook_endpoint")
        assert again[0]["secret"] == stored
