"""Index the calls of a contact by the line they were on, and fill that line for old calls.

A company's main line ranks the contacts who share it by who called from it last:
the latest call of a contact on one line is read from the end of the index on
(contact, party_e164, started_at). Calls logged before the column existed get their
other party's number normalized here, in batches, as the write path does it (with the
configured default region); the column was added by the previous migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from crm.domain.activities import party_e164
from crm.settings import load_settings

ID = "2026-11-30T16:35:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "calls by contact and line; fill party_e164 of existing calls"

INDEX = "crm_activity_contact_party_started_at"
BATCH = 1000


async def _fill() -> None:
    engine = engine_finder()
    region = load_settings().default_region
    last = None
    while True:
        where = "" if last is None else " WHERE id > {}"
        args = [] if last is None else [last]
        rows = await engine.run_querystring(
            QueryString(
                "SELECT id, direction, from_number, to_number FROM crm_activity"
                f"{where} ORDER BY id LIMIT {BATCH}",
                *args,
            )
        )
        for row in rows:
            party = party_e164(row["direction"], row["from_number"], row["to_number"], region)
            if party is not None:
                await engine.run_querystring(
                    QueryString(
                        "UPDATE crm_activity SET party_e164 = {} WHERE id = {}", party, row["id"]
                    )
                )
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_activity (contact, party_e164, started_at)"
        )
        await _fill()

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
