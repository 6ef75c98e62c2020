"""Engines: built from a database URL, bound to the tables, opened and closed by the app,
and told apart from a bug when the database goes away.

Piccolo finds its engine through ``piccolo_conf.DB`` unless a table is bound to
one; the app factory binds every table to the engine built from its settings,
so a test can run an app per configuration.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from crm.tables import TABLES

CONNECT_TIMEOUT_S = 5
"""How long opening a PostgreSQL connection may take before the request fails with 503."""

PING_TIMEOUT_S = 5

SQLITE_BUSY_TIMEOUT_S = 30
"""How long an SQLite writer waits for another's lock before giving up."""


def make_engine(database_url: str, *, log_queries: bool = False) -> Engine[Any]:
    """An engine for `sqlite:///path` or `postgresql://...`; nothing is opened yet."""
    if database_url.startswith("sqlite:///"):
        path = unquote(database_url.removeprefix("sqlite:///")) or "crm.sqlite"
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S, log_queries=log_queries)
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"unsupported database URL scheme {parts.scheme!r}")
    config: dict[str, Any] = {"dsn": database_dsn(database_url)}
    return PostgresEngine(config=config, log_queries=log_queries)


def database_dsn(database_url: str) -> str:
    """A PostgreSQL URL as asyncpg reads it (`postgres://` spelled `postgresql://`)."""
    return database_url.replace("postgres://", "postgresql://", 1)


def bind_tables(engine: Engine[Any]) -> None:
    """Make every table run its queries on `engine`."""
    for table in TABLES:
        table._meta.db = engine


def current_engine() -> Engine[Any]:
    """The engine the tables run on."""
    engine: Engine[Any] = TABLES[0]._meta.db
    return engine


async def open_engine(engine: Engine[Any], *, pool_min: int = 2, pool_max: int = 20) -> None:
    """Open the pool (PostgreSQL) or set SQLite up for concurrent readers."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(
            min_size=pool_min,
            max_size=pool_max,
            timeout=CONNECT_TIMEOUT_S,
            reset=_release_as_is,
        )
    elif isinstance(engine, SQLiteEngine):
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def _release_as_is(connection: asyncpg.Connection) -> None:
    """Return a connection to the pool without asyncpg's reset query.

    The default reset (unlock advisory locks, close cursors, unlisten, reset settings)
    is a round trip on every release, as many as the queries themselves. The CRM leaves
    none of that behind: its advisory locks are transaction-scoped, and it opens no
    cursor outside a transaction, listens on no pooled connection and sets nothing for
    the session. asyncpg still rolls back a transaction left open before calling this.
    """


async def close_engine(engine: Engine[Any]) -> None:
    """Close what `open_engine` opened."""
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def ping(engine: Engine[Any]) -> None:
    """Raise when the database does not answer a trivial query within a few seconds."""
    await asyncio.wait_for(engine.run_ddl("SELECT 1"), timeout=PING_TIMEOUT_S)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether an exception means the database cannot be reached (rather than a bug)."""
    if isinstance(exc, asyncpg.ObjectNotInPrerequisiteStateError):
        return "not currently accepting connections" in str(exc)
    return isinstance(
        exc,
        OSError
        | TimeoutError
        | asyncpg.PostgresConnectionError  # SQLSTATE class 08
        | asyncpg.exceptions.OperatorInterventionError  # class 57: shutdown, terminated
        | asyncpg.exceptions.InsufficientResourcesError  # class 53: too many connections
        | asyncpg.InterfaceError  # the connection broke under the client
        | asyncpg.InternalClientError
        | sqlite3.OperationalError,
    )


def is_connection_refused(exc: BaseException) -> bool:
    """Whether opening the database failed for a reason to tell its operator: it does not
    answer, does not exist, refuses the credentials, or is not a database file."""
    return is_database_unavailable(exc) or isinstance(
        exc,
        asyncpg.InvalidCatalogNameError  # no such database
        | asyncpg.InvalidAuthorizationSpecificationError  # no such role, a wrong password
        | asyncpg.InvalidPasswordError
        | sqlite3.DatabaseError,  # a file that is not a database
    )
