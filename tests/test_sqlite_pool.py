"""The embedded SQLite default keeps its connections open while the app runs: statements
and transactions reuse them, each as Piccolo's engine would have set it up, and nothing
is left open (no connection, no thread) once the app stops."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid

import pytest

from crm.engine import PooledSQLiteEngine, bind_tables, close_engine, make_engine, open_engine
from crm.queries.transactions import transaction
from crm.tables import Company, Contact
from tests.conftest import DATABASE_URL, IS_POSTGRES

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="the pool is the SQLite engine's")


async def connection_threads(at_most: int | None = None) -> int:
    """Threads of open aiosqlite connections (each connection runs one). A closed
    connection's thread ends just after its close is answered: given `at_most`, wait a
    little (5 s at most) for the count to fall to it."""
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        count = sum("_connection_worker_thread" in t.name for t in threading.enumerate())
        if at_most is None or count <= at_most or asyncio.get_running_loop().time() > deadline:
            return count
        await asyncio.sleep(0.01)


@pytest.fixture
async def engine() -> PooledSQLiteEngine:
    built = make_engine(DATABASE_URL)
    assert isinstance(built, PooledSQLiteEngine)
    bind_tables(built)
    return built


async def test_statements_and_transactions_reuse_a_few_connections(
    engine: PooledSQLiteEngine,
) -> None:
    before = await connection_threads(at_most=0)
    await open_engine(engine, pool_min=1, pool_max=4)
    try:
        for n in range(40):
            await Company(name=f"pooled {n}").save()
            async with transaction():
                await Company.update({Company.name: f"pooled {n}!"}).where(
                    Company.name == f"pooled {n}"
                )
        assert await Company.count().where(Company.name.like("pooled %!")) == 40
        # One for statements, one for a writer.
        assert await connection_threads(at_most=before + 2) <= before + 2
        await asyncio.gather(*(Company.count() for _ in range(30)))
        # Readers at once each had one; pool_max of them are kept.
        assert await connection_threads(at_most=before + 4) <= before + 4
    finally:
        await close_engine(engine)
    assert await connection_threads(at_most=before) == before


async def test_pooled_connections_enforce_foreign_keys(engine: PooledSQLiteEngine) -> None:
    await open_engine(engine, pool_min=1, pool_max=2)
    try:
        for _ in range(3):  # on a fresh connection and on reused ones
            with pytest.raises(sqlite3.IntegrityError):
                await Contact(first_name="Orphan", company=uuid.uuid4()).save()
        assert await Contact.count() == 0
    finally:
        await close_engine(engine)


async def write_then_fail() -> None:
    async with transaction():
        await Company(name="rolled back").save()
        raise RuntimeError("roll back")


async def test_a_failed_transaction_leaves_its_connection_clean(
    engine: PooledSQLiteEngine,
) -> None:
    await open_engine(engine, pool_min=1, pool_max=1)
    try:
        with pytest.raises(RuntimeError):
            await write_then_fail()
        await Company(name="kept").save()  # autocommitted, not inside the dead transaction
        async with transaction():
            await Company(name="committed").save()
        names = set(await Company.select(Company.name).output(as_list=True))
        assert names == {"kept", "committed"}
    finally:
        await close_engine(engine)


async def test_closed_engine_falls_back_to_a_connection_per_statement(
    engine: PooledSQLiteEngine,
) -> None:
    await open_engine(engine, pool_min=1, pool_max=2)
    await close_engine(engine)
    before = await connection_threads(at_most=0)
    await Company(name="after close").save()  # as in migrations: Piccolo's own engine
    assert await Company.count() == 1
    assert await connection_threads(at_most=before) == before
