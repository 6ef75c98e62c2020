"""Write transactions on the embedded SQLite default: writers of one process take the
write lock in turn, first come first served, and a transaction inside another joins it."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from crm.queries.transactions import transaction
from crm.tables import Company
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="the queue is SQLite's; PostgreSQL locks rows")


async def test_concurrent_writers_take_turns_in_the_order_they_came() -> None:
    entered: list[int] = []
    inside = 0

    async def writer(n: int) -> None:
        nonlocal inside
        async with transaction():
            inside += 1
            assert inside == 1, "two writers inside at once"
            entered.append(n)
            await Company(name=f"writer {n}").save()
            await asyncio.sleep(0)  # let the others try to get in meanwhile
            inside -= 1

    await asyncio.gather(*(writer(n) for n in range(30)))
    assert entered == list(range(30))
    assert await Company.count() == 30


async def test_a_transaction_inside_another_joins_it_and_rolls_back_with_it() -> None:
    name = f"nested {uuid.uuid4()}"

    async def nested_then_fail() -> None:
        async with transaction():
            async with transaction():  # would wait on itself if it queued
                await Company(name=name).save()
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        await nested_then_fail()
    assert await Company.count().where(Company.name == name) == 0
