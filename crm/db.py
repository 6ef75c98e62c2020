"""Engines: built from a database URL, bound to the tables, opened and closed by the app.

Piccolo finds its engine through ``piccolo_conf.DB`` unless a table is bound to
one; the app factory binds every table to the engine built from its settings,
so a test can run an app per configuration.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

import asyncpg
from piccolo.columns import Column
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.methods.objects import Objects
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString
from piccolo.table import Table

from crm.tables import TABLES

Q = TypeVar("Q", bound="Objects[Any] | Select[Any]")
T = TypeVar("T", bound=Table)

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
    config: dict[str, Any] = {"dsn": database_url.replace("postgres://", "postgresql://", 1)}
    return PostgresEngine(config=config, log_queries=log_queries)


def bind_tables(engine: Engine[Any]) -> None:
    """Make every table run its queries on `engine`."""
    for table in TABLES:
        table._meta.db = engine


def current_engine() -> Engine[Any]:
    """The engine the tables run on."""
    engine: Engine[Any] = TABLES[0]._meta.db
    return engine


def transaction() -> AbstractAsyncContextManager[Any]:
    """A write transaction: everything inside commits together or not at all.

    On SQLite it takes the write lock at the start (``BEGIN IMMEDIATE``), so two
    writers queue instead of failing when one tries to upgrade a read lock.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    result: AbstractAsyncContextManager[Any] = engine.transaction()
    return result


def for_update(query: Q) -> Q:
    """`query` locking the rows it reads until the current write transaction ends.

    A read-check-write then sees the row as the previous writer left it. PostgreSQL
    locks the rows (``FOR NO KEY UPDATE``); SQLite's ``transaction()`` already admits one
    writer at a time, and has no row locks.
    """
    if isinstance(current_engine(), PostgresEngine):
        # NO KEY UPDATE: the keys never change, so rows that refer to a locked one
        # (a call logged against a contact) can still be written meanwhile.
        return cast(Q, query.lock_rows("NO KEY UPDATE"))
    return query


async def lock_keys(keys: Iterable[str]) -> None:
    """Hold a lock on each key until the current write transaction ends.

    Writers that must see each other's rows before deciding (find-or-create) take
    the locks of the values they look up first. PostgreSQL takes an advisory lock per
    key, in sorted order so that two writers never wait on each other in a cycle;
    SQLite needs none, since ``transaction()`` already admits one writer at a time.
    """
    engine = current_engine()
    if not isinstance(engine, PostgresEngine):
        return
    for key in sorted(set(keys)):
        await engine.run_querystring(
            QueryString("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", key)
        )


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


async def rows_by_key(
    table: type[T], column: Column, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, T]:
    """The rows whose `column` is one of `keys`, by that key, for DataLoaders; no keys, no query."""
    if not keys:
        return {}
    rows = await table.objects().where(column.is_in(list(keys)))
    name = column._meta.name
    return {getattr(row, name): row for row in rows}


def row_from(table: type[T], record: Mapping[str, Any], *, prefix: str = "") -> T:
    """The `table` row a database record holds, as `table(_exists_in_db=True, **record)`
    builds it, for records that carry every column (under `prefix` + the column's name).

    Piccolo's constructor looks every column up twice and then its default, tens of
    microseconds a row; the hot reads (a caller lookup, a credential check) build
    several rows per request from records that hold every column already. A test
    proves both give the same row for every table.
    """
    row = table.__new__(table)
    values = row.__dict__
    values["_exists_in_db"] = True
    values["_was_created"] = None
    for name in _column_names(table):
        values[name] = record[prefix + name]
    return row


@functools.cache
def _column_names(table: type[Table]) -> tuple[str, ...]:
    return tuple(column._meta.name for column in table._meta.columns)


def select_list(table: type[Table], alias: str = "") -> str:
    """Every column of `table`, named as `row_from` reads them: `<alias>__<column>` for a
    table joined in under `alias` (read back with `prefix="<alias>__"`), else `<column>`."""
    source, name = (f"{alias}.", f"{alias}__") if alias else ("", "")
    return ", ".join(
        f'{source}"{column._meta.db_column_name}" AS "{name}{column._meta.name}"'
        for column in table._meta.columns
    )


def select_sql(table: type[Table], where: str) -> str:
    """`SELECT` every column of `table` (as `row_from` reads them) `WHERE where`.

    For the few statements run on every request: Piccolo's query builder costs far
    more to build a query than this constant text costs to send (`{}` marks each
    bound value, as in Piccolo's `raw`).
    """
    return f"SELECT {select_list(table)} FROM {table._meta.tablename} WHERE {where}"  # noqa: S608 (fixed text)


async def fetch(sql: str, *args: Any) -> Sequence[Mapping[str, Any]]:
    """The records a constant statement returns (`{}` marks each bound value).

    It hands the statement to the engine as Piccolo's `raw` does, without the query
    object `raw` builds around it: the statements every request runs (a caller lookup,
    a credential check) are worth the difference. Inside a transaction it runs there.
    """
    records: Sequence[Mapping[str, Any]] = await current_engine().run_querystring(
        QueryString(sql, *args)
    )
    return records


async def first_row(table: type[T], sql: str, *args: Any) -> T | None:
    """The first row a `select_sql` statement finds, or `None`."""
    records = await fetch(sql, *args)
    return row_from(table, records[0]) if records else None
