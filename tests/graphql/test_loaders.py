"""`resolve_soon`: a field resolves at once from what the request holds, else after a load."""

from __future__ import annotations

from inspect import isawaitable

import pytest
from strawberry.dataloader import DataLoader

from crm.graphql.loaders import resolve_soon


def _loader(calls: list[list[int]]) -> DataLoader[int, int]:
    async def load(keys: list[int]) -> list[int]:
        calls.append(keys)
        return [key * 10 for key in keys]

    return DataLoader(load_fn=load)


async def test_a_primed_key_resolves_at_once_without_a_load() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls)
    loader.prime(1, 7)
    assert resolve_soon(loader, 1, str) == "7"
    assert calls == []


async def test_a_key_not_held_resolves_after_one_batched_load() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls)
    first, second = resolve_soon(loader, 1, str), resolve_soon(loader, 2, str)
    assert isawaitable(first)
    assert isawaitable(second)
    assert [await first, await second] == ["10", "20"]
    assert calls == [[1, 2]]
    assert resolve_soon(loader, 2, str) == "20"  # loaded once, then held


async def test_a_failed_load_raises_when_awaited() -> None:
    async def failing(keys: list[int]) -> list[int]:
        raise LookupError("gone")

    loader: DataLoader[int, int] = DataLoader(load_fn=failing)
    pending = resolve_soon(loader, 1, str)
    assert isawaitable(pending)
    with pytest.raises(LookupError):
        await pending
    again = resolve_soon(loader, 1, str)  # a failed key is not served as a value
    assert isawaitable(again)
    with pytest.raises(LookupError):
        await again
