"""Engines: built from a database URL, bound to the tables, opened and closed by the app,
and told apart from a bug when the database goes away.

Piccolo finds its engine through ``piccolo_conf.DB`` unless a table is bound to
one; the app factory binds every table to the engine built from its settings,
so a test can run an app per configuration.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.querystring import QueryString

from crm.tables import TABLES

CONNECT_TIMEOUT_S = 5
"""How long opening a PostgreSQL connection may take before the request fails with 503."""

PING_TIMEOUT_S = 5

SQLITE_BUSY_TIMEOUT_S = 30
"""How long an SQLite writer waits for another's lock before giving up."""


SQLITE_RETURNING = (3, 35, 0)
"""The first SQLite with `RETURNING`, which the pooled engine relies on for inserts."""


class _PooledConnection(aiosqlite.Connection):
    """An SQLite connection that goes back to its pool when closed, unless the pool is
    closed or full, or the connection was left inside a transaction."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], pool: _SQLitePool) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._pool = pool

    async def close(self) -> None:
        if not self._pool.take_back(self):
            await self.discard()

    async def discard(self) -> None:
        """Close the connection for good, and stop its thread."""
        await super().close()


def _connect_sqlite(connection_kwargs: dict[str, Any]) -> sqlite3.Connection:
    """A connection as Piccolo's engine sets one up; foreign keys are enforced once per
    connection here, where Piccolo's engine asks for them again before every statement."""
    connection: sqlite3.Connection = sqlite3.connect(**connection_kwargs)
    connection.row_factory = dict_factory
    connection.execute("PRAGMA foreign_keys = 1")
    return connection


class _SQLitePool:
    """Open SQLite connections for reuse: as many as are in use at once, up to `keep` kept
    idle. It never makes a caller wait: a caller finding none idle opens one."""

    def __init__(self, connection_kwargs: dict[str, Any], keep: int) -> None:
        self._connect = functools.partial(_connect_sqlite, connection_kwargs)
        self._keep = keep
        self._idle: list[_PooledConnection] = []
        self._open = True

    async def acquire(self) -> _PooledConnection:
        if self._idle:
            return self._idle.pop()  # the most recently used: its pages are warm
        connection = _PooledConnection(self._connect, self)
        await connection  # starts its thread, which opens the file
        return connection

    def take_back(self, connection: _PooledConnection) -> bool:
        """Keep `connection` for the next caller; False when it must be closed instead."""
        if not self._open or len(self._idle) >= self._keep or connection.in_transaction:
            return False
        self._idle.append(connection)
        return True

    async def close(self) -> None:
        self._open = False
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.discard()


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping its connections open while the app runs.

    Piccolo's own engine opens a connection for every statement and every transaction:
    a thread started, the file opened, the schema read, `PRAGMA foreign_keys` set, which
    costs more than most of the statements themselves. Between `start_pool` and
    `close_pool` (`open_engine` and `close_engine`) this one runs each statement on a
    connection kept open, and hands kept connections to transactions (`get_connection`);
    before and after, as in migrations, it is Piccolo's engine unchanged.
    """

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self._pool: _SQLitePool | None = None

    def start_pool(self, keep: int) -> None:
        """Keep up to `keep` idle connections open from now on, where SQLite allows."""
        if self._pool is None and sqlite3.sqlite_version_info >= SQLITE_RETURNING:
            self._pool = _SQLitePool(self.connection_kwargs, keep)

    async def close_pool(self) -> None:
        """Close the kept connections; connections in use close when they are given back."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def get_connection(self) -> aiosqlite.Connection:
        if self._pool is None:
            connection: aiosqlite.Connection = await super().get_connection()
            return connection
        return await self._pool.acquire()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        if self._pool is None:
            return await super().run_querystring(querystring, in_pool)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=str(querystring))
        query, args = querystring.compile_string(engine_type=self.engine_type)
        rows = await self._fetch(self._pool, query, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=rows)
        return rows

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        if self._pool is None:
            return await super().run_ddl(ddl, in_pool)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        return await self._fetch(self._pool, ddl, [])

    async def _fetch(self, pool: _SQLitePool, query: str, args: list[Any]) -> list[Any]:
        """The rows of one statement, in the current transaction or else on a kept
        connection (autocommitted: the engine's connections have no isolation level)."""
        current = self.current_transaction.get()
        connection = current.connection if current is not None else await pool.acquire()
        try:
            # One trip to the connection's thread: run, fetch and close the cursor there.
            return list(await connection.execute_fetchall(query, args))
        finally:
            if current is None:
                await connection.close()


def make_engine(database_url: str, *, log_queries: bool = False) -> Engine[Any]:
    """An engine for `sqlite:///path` or `postgresql://...`; nothing is opened yet."""
    if database_url.startswith("sqlite:///"):
        path = unquote(database_url.removeprefix("sqlite:///")) or "crm.sqlite"
        return PooledSQLiteEngine(path, timeout=SQLITE_BUSY_TIMEOUT_S, log_queries=log_queries)
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
        if isinstance(engine, PooledSQLiteEngine):
            engine.start_pool(keep=pool_max)


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
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


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
