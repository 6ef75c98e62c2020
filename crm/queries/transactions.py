"""Write transactions, and the locks a read-check-write takes inside one."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar, cast

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.methods.objects import Objects
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from crm.engine import current_engine

Q = TypeVar("Q", bound="Objects[Any] | Select[Any]")


def transaction() -> AbstractAsyncContextManager[Any]:
    """A write transaction: everything inside commits together or not at all.

    On SQLite it takes the write lock at the start (``BEGIN IMMEDIATE``), so two
    writers queue instead of failing when one tries to upgrade a read lock.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return _queued(engine)
    result: AbstractAsyncContextManager[Any] = engine.transaction()
    return result


_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
"""One lock per event loop and SQLite file (the embedded default is one process)."""


@asynccontextmanager
async def _queued(engine: SQLiteEngine) -> AsyncIterator[Any]:
    """A SQLite write transaction, taken in turn.

    SQLite admits one writer; the others, left to its busy handler, sleep and retry
    with growing pauses (up to 100 ms), so under contention a writer waits far longer
    than the writers ahead of it take. Writers of this process queue on a lock instead,
    first come first served, and each begins the moment the one before it commits. A
    transaction inside another joins it, as Piccolo's nested transactions do.
    """
    if engine.current_transaction.get() is not None:
        async with engine.transaction(transaction_type=TransactionType.immediate) as joined:
            yield joined
        return
    locks = _WRITERS.setdefault(asyncio.get_running_loop(), {})
    lock = locks.setdefault(engine.path, asyncio.Lock())
    async with lock, engine.transaction(transaction_type=TransactionType.immediate) as own:
        yield own


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
    ordered = sorted(set(keys))
    if not ordered:
        return
    # One statement for any number of keys (an import locks thousands per batch), taken
    # in the sorted order of the array: ORDER BY runs before volatile output functions.
    await engine.run_querystring(
        QueryString(
            "SELECT pg_advisory_xact_lock(hashtextextended(key, 0))"
            " FROM unnest({}::text[]) WITH ORDINALITY AS keys(key, n) ORDER BY n",
            ordered,
        )
    )


async def lock_tables_for_bulk_write(*tables: str) -> None:
    """Hold `tables` against other writers until the current write transaction ends.

    A bulk write (an import batch) would need thousands of `lock_keys` locks, more than
    PostgreSQL's shared lock table holds (`max_locks_per_transaction`); it takes one lock a
    table instead (SHARE ROW EXCLUSIVE: readers go on, writers and other bulk writers wait).
    SQLite's ``transaction()`` already admits one writer at a time.
    """
    if isinstance(current_engine(), PostgresEngine):
        names = ", ".join(tables)
        await current_engine().run_ddl(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
