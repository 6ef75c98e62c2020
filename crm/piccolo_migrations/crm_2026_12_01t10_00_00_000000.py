"""One user per active extension, and email addresses in their new stored form.

Extensions: calls to an extension two active users share could not tell whose they
are, so a partial unique index (active users only, so that a departed user's row
need not give the number up first) holds at most one. Piccolo's tables cannot
declare a partial index, hence raw SQL, valid on SQLite and PostgreSQL alike. Where
active users already share one, the user created first keeps it and the others'
extension is cleared (and printed), so that the index can be built.

Emails are now stored NFKC-normalized and case-folded (they were lowercased): rows
whose stored form changes are rewritten. A user whose new form is another user's
address keeps the old one, and is printed: that row is the second account the old
form let in, and an administrator decides what becomes of it.

The rule is copied here as it is today, so that this migration keeps doing what it
did when the domain's rule changes again.
"""

import unicodedata
from collections import defaultdict

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-01T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique extension among active users; NFKC case-folded emails"

INDEX = "crm_user_active_extension"


def _email_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


async def _rows(sql: str, *args: object) -> list[dict]:
    return await engine_finder().run_querystring(QueryString(sql, *args))


async def _free_shared_extensions() -> None:
    rows = await _rows(
        "SELECT id, email, extension FROM crm_user"
        " WHERE is_active AND extension IS NOT NULL ORDER BY created_at, id"
    )
    holder: dict[str, str] = {}
    for row in rows:
        extension = row["extension"]
        if extension not in holder:
            holder[extension] = row["email"]
            continue
        await _rows("UPDATE crm_user SET extension = NULL WHERE id = {}", row["id"])
        print(
            f"  extension {extension} stays with {holder[extension]};"
            f" cleared for {row['email']}, who shared it"
        )


async def _normalize_emails() -> None:
    users = await _rows("SELECT id, email FROM crm_user ORDER BY created_at, id")
    by_key: dict[str, list[dict]] = defaultdict(list)
    for user in users:
        by_key[_email_key(user["email"])].append(user)
    for key, owners in by_key.items():
        if len(owners) > 1:
            names = ", ".join(repr(owner["email"]) for owner in owners)
            print(f"  {names} are one address: their emails are left as they were")
            continue
        if owners[0]["email"] != key:
            await _rows("UPDATE crm_user SET email = {} WHERE id = {}", key, owners[0]["id"])
    contacts = await _rows("SELECT id, email FROM crm_contact WHERE email IS NOT NULL")
    for contact in contacts:
        key = _email_key(contact["email"])
        if key != contact["email"]:
            await _rows("UPDATE crm_contact SET email = {} WHERE id = {}", key, contact["id"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def apply():
        await _normalize_emails()
        await _free_shared_extensions()
        await engine_finder().run_ddl(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON crm_user (extension)"
            " WHERE is_active AND extension IS NOT NULL"
        )

    async def undo():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(apply)
    manager.add_raw_backwards(undo)
    return manager
