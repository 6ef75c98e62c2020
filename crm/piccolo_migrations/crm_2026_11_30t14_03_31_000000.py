"""Fill `search_text` for the contacts and companies that existed before the column.

The folding is Python's (as crm.domain.search folds), so the rows are read, folded and
written back here, in batches; the column was added by the previous migration, whose
steps run before any raw step of its own. The folding is frozen here as it was when this
migration was written, so that a later change to the live code cannot change what it does.
"""

import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString


def fold(text):
    """`text` in the form that compares without case."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def contact_search_text(first_name, last_name, email):
    """What a contact's text filter matches: the full name, then the email."""
    return fold(f"{first_name} {last_name}\n{email or ''}")

ID = "2026-11-30T14:03:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "fill search_text of existing contacts and companies"

BATCH = 1000


async def _fill(select_sql: str, table: str, folded) -> None:
    """Rewrite `search_text` of every row `select_sql` returns, in id order, a batch at a time."""
    engine = engine_finder()
    last = None
    while True:
        where = "" if last is None else " WHERE id > {}"
        args = [] if last is None else [last]
        rows = await engine.run_querystring(
            QueryString(f"{select_sql}{where} ORDER BY id LIMIT {BATCH}", *args)
        )
        for row in rows:
            await engine.run_querystring(
                QueryString(
                    f"UPDATE {table} SET search_text = {{}} WHERE id = {{}}",
                    folded(row),
                    row["id"],
                )
            )
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def fill():
        await _fill(
            "SELECT id, first_name, last_name, email FROM crm_contact",
            "crm_contact",
            lambda row: contact_search_text(row["first_name"], row["last_name"], row["email"]),
        )
        await _fill("SELECT id, name FROM crm_company", "crm_company", lambda row: fold(row["name"]))

    manager.add_raw(fill)
    # Going back, the previous migration drops the column; nothing to undo here.
    return manager
