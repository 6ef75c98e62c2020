"""Whether a database is there, reachable and migrated, asked without changing anything.

`crm serve`, `crm seed-demo` and the other commands that need the schema ask first, so
a first run before `crm migrate` stops with one line that says to run it, rather than a
traceback, an empty SQLite file or a key file left behind.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.engine.base import Engine

from crm.engine import close_engine, is_connection_refused, make_engine, open_engine, ping
from crm.piccolo_app import APP_CONFIG
from crm.queries.migrations import applied_migrations

MIGRATE_FIRST = "run `crm migrate` first"


class DatabaseNotReady(Exception):
    """The database is missing, unreachable or not migrated; the message is one line."""


def redacted(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user_name = credentials.split(":", 1)[0]
    return f"{scheme}://{user_name}@{host}"


def sqlite_path(database_url: str) -> Path | None:
    """The file of a `sqlite:///` URL; `None` for another engine."""
    if not database_url.startswith("sqlite:///"):
        return None
    return Path(unquote(database_url.removeprefix("sqlite:///")) or "crm.sqlite")


def migration_ids() -> list[str]:
    """The ids of the migrations this version of the CRM ships."""
    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)
    ids: list[str] = manager.get_migration_ids(modules)
    return ids


async def reachable(database_url: str) -> Engine[Any]:
    """An open engine on the database, or `DatabaseNotReady` naming it and why not.

    A SQLite file that is not there is not created (opening it would create it).
    """
    path = sqlite_path(database_url)
    if path is not None and not path.is_file():
        raise DatabaseNotReady(f"the database {path} does not exist: {MIGRATE_FIRST}")
    with warnings.catch_warnings():  # Piccolo warns of what the one line below says
        warnings.simplefilter("ignore")
        engine = make_engine(database_url)
        try:
            await open_engine(engine, pool_min=1, pool_max=2)
            await ping(engine)
        except Exception as exc:
            await close_engine(engine)
            if not is_connection_refused(exc):
                raise
            reason = (str(exc).splitlines() or [""])[0] or type(exc).__name__
            raise DatabaseNotReady(
                f"cannot reach the database {redacted(database_url)}: {reason}"
            ) from None
    return engine


async def check_reachable(database_url: str) -> None:
    """Raise `DatabaseNotReady` when a PostgreSQL database cannot be reached (a SQLite file
    that is not there yet is fine: migrating creates it)."""
    if sqlite_path(database_url) is None:
        await close_engine(await reachable(database_url))


async def check_ready(database_url: str) -> None:
    """Raise `DatabaseNotReady` unless the database is reachable and fully migrated."""
    engine = await reachable(database_url)
    try:
        pending = set(migration_ids()) - await applied_migrations(engine)
    finally:
        await close_engine(engine)
    if pending:
        raise DatabaseNotReady(
            f"the database {redacted(database_url)} lacks {len(pending)} of the CRM's"
            f" migrations: {MIGRATE_FIRST}"
        )
