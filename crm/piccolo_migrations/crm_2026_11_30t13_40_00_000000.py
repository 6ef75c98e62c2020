"""Caller lookup ranks by each contact's and company's latest call.

Composite indexes (which Piccolo's columns cannot declare) let that latest call be
read from the end of an index instead of from every call the owner ever had.
The same SQL runs on PostgreSQL and SQLite.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lookup: latest call per contact and company from an index"

INDEXES = {
    "crm_activity_contact_started_at": "crm_activity (contact, started_at)",
    "crm_activity_company_started_at": "crm_activity (company, started_at)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
