"""The index the webhook delivery claim reads: an earlier undelivered message of the
same endpoint and call holds the later ones back. Piccolo's tables cannot declare a
composite index, hence raw SQL (valid on SQLite and PostgreSQL alike), in a migration
of its own since a migration's raw steps run before its tables are made."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "the webhook outbox's ordering index"

INDEX = "crm_webhook_message_order"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def apply():
        await engine_finder().run_ddl(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_webhook_message"
            " (endpoint, ordering_key, state, created_at, seq)"
        )

    async def undo():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(apply)
    manager.add_raw_backwards(undo)
    return manager
