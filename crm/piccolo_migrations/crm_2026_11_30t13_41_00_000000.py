"""Keyset indexes: contact and company lists are read in (updated_at, id) order and resumed
after a cursor, so that order is an index range scan. Piccolo's tables cannot declare a
composite index, hence raw SQL, valid on SQLite and PostgreSQL alike.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T13:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "keyset indexes for contact and company lists"

INDEXES = {
    "crm_contact_updated_at_id": "crm_contact (updated_at, id)",
    "crm_contact_company_updated_at_id": "crm_contact (company, updated_at, id)",
    "crm_company_updated_at_id": "crm_company (updated_at, id)",
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
