"""DataLoaders: each relation is fetched once per request for a whole list of parents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from crm.domain.services import Services
from crm.tables import Recording, User

K = TypeVar("K")
V = TypeVar("V")


def by_key(
    fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]],
) -> Callable[[list[K]], Awaitable[list[V | None]]]:
    """Turn "fetch a dict of rows by key" into a DataLoader batch function, in key order."""

    async def load(keys: list[K]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return load


class Loaders:
    """One DataLoader per relation, created per request."""

    def __init__(self, services: Services) -> None:
        self.user = DataLoader[uuid.UUID, User | None](load_fn=by_key(services.users.get_many))
        self.recording_by_activity = DataLoader[uuid.UUID, Recording | None](
            load_fn=by_key(services.recordings.by_activities)
        )

    def clear_all(self) -> None:
        """Forget cached rows after a write, so the same request reads what it wrote."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()
