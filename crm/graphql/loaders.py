"""DataLoaders: each relation is fetched once per request for a whole list of parents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import TypeAlias, TypeVar

from strawberry.dataloader import DataLoader

from crm.domain.pagination import Page
from crm.domain.services import Services
from crm.tables import Activity, Company, Contact, PhoneNumber, Recording, User

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


def by_key(
    fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]],
) -> Callable[[list[K]], Awaitable[list[V | None]]]:
    """Turn "fetch a dict of rows by key" into a DataLoader batch function, in key order."""

    async def load(keys: list[K]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return load


LineStaffKey = tuple[uuid.UUID, str | None, int]
"""(company id, its main line in E.164, how many): who a call from that line may be."""

PageKey = tuple[uuid.UUID, int | None, str | None]
"""(parent id, page size, cursor): one page of a parent's children."""


def pages_by_parent(
    fetch: Callable[[list[uuid.UUID], int | None, str | None], Awaitable[dict[uuid.UUID, Page[R]]]],
) -> Callable[[list[PageKey]], Awaitable[list[Page[R]]]]:
    """Pages of children for many parents: one batch per (page size, cursor) asked for."""

    async def load(keys: list[PageKey]) -> list[Page[R]]:
        groups: dict[tuple[int | None, str | None], list[uuid.UUID]] = {}
        for parent_id, first, after in keys:
            groups.setdefault((first, after), []).append(parent_id)
        pages: dict[PageKey, Page[R]] = {}
        for (first, after), parent_ids in groups.items():
            found = await fetch(parent_ids, first, after)
            for parent_id, page in found.items():
                pages[(parent_id, first, after)] = page
        return [pages[key] for key in keys]

    return load


class Loaders:
    """One DataLoader per relation, each created the first time a request asks for it.

    A request uses a few of them; building the others would be work for nothing.
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    @cached_property
    def user(self) -> DataLoader[uuid.UUID, User | None]:
        return DataLoader(load_fn=by_key(self._services.users.get_many))

    @cached_property
    def company(self) -> DataLoader[uuid.UUID, Company | None]:
        return DataLoader(load_fn=by_key(self._services.companies.get_many))

    @cached_property
    def contact(self) -> DataLoader[uuid.UUID, Contact | None]:
        return DataLoader(load_fn=by_key(self._services.contacts.get_many))

    @cached_property
    def contact_phones(self) -> DataLoader[uuid.UUID, list[PhoneNumber] | None]:
        return DataLoader(load_fn=by_key(self._services.contacts.phones_of))

    @cached_property
    def company_phones(self) -> DataLoader[uuid.UUID, list[PhoneNumber] | None]:
        return DataLoader(load_fn=by_key(self._services.companies.phones_of))

    @cached_property
    def company_contacts(self) -> DataLoader[PageKey, Page[Contact]]:
        contacts = self._services.contacts
        return DataLoader(
            load_fn=pages_by_parent(
                lambda ids, first, after: contacts.pages_by_company(ids, limit=first, cursor=after)
            )
        )

    @cached_property
    def line_staff(self) -> DataLoader[LineStaffKey, list[Contact]]:
        lookup = self._services.lookup

        async def load(keys: list[LineStaffKey]) -> list[list[Contact]]:
            # A lookup rarely matches more than one main line that nobody shares.
            return [await lookup.line_staff(*key) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def activity(self) -> DataLoader[uuid.UUID, Activity | None]:
        return DataLoader(load_fn=by_key(self._services.activities.get_many))

    @cached_property
    def recording_by_activity(self) -> DataLoader[uuid.UUID, Recording | None]:
        return DataLoader(load_fn=by_key(self._services.recordings.by_activities))

    @cached_property
    def contact_activities(self) -> DataLoader[PageKey, Page[Activity]]:
        activities = self._services.activities
        return DataLoader(
            load_fn=pages_by_parent(
                lambda ids, first, after: activities.pages_by_contact(
                    ids, limit=first, cursor=after
                )
            )
        )

    def clear_all(self) -> None:
        """Forget cached rows after a write, so the same request reads what it wrote."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()


Soon: TypeAlias = R | Awaitable[R]
"""A field's value now, or an awaitable of it: graphql-core takes either from a resolver."""


def resolve_soon(loader: DataLoader[K, V], key: K, convert: Callable[[V], R]) -> Soon[R]:
    """`convert` of the loader's value for `key`: at once when the request holds it already
    (primed, or loaded for another field), else once the loader has fetched it.

    A field resolved at once keeps graphql-core on its synchronous path; awaiting a done
    future per field costs several times more (FindContact primes every row it shows).
    """
    cached = loader.cache_map.get(key) if loader.cache else None
    if cached is not None and cached.done() and not cached.cancelled() and not cached.exception():
        return convert(cached.result())
    return _converted(loader.load(key), convert)


async def _converted(pending: Awaitable[V], convert: Callable[[V], R]) -> R:
    return convert(await pending)


def resolve_row_soon(
    loader: DataLoader[K, V | None], key: K | None, convert: Callable[[V], R]
) -> Soon[R | None]:
    """`resolve_soon` for the row a foreign key points to: `None` for no key or no row."""
    if key is None:
        return None
    return resolve_soon(loader, key, lambda row: None if row is None else convert(row))
