"""DataLoaders: each relation is fetched once per request for a whole list of parents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

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


PageKey = tuple[uuid.UUID, int | None, str | None]
"""(parent id, page size, cursor): one page of a parent's children."""

CompanyContactsKey = PageKey


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


def company_contact_pages(
    services: Services,
) -> Callable[[list[CompanyContactsKey]], Awaitable[list[Page[Contact]]]]:
    """Pages of contacts for many companies."""
    return pages_by_parent(
        lambda ids, first, after: services.contacts.pages_by_company(ids, limit=first, cursor=after)
    )


class Loaders:
    """One DataLoader per relation, created per request."""

    def __init__(self, services: Services) -> None:
        self.user = DataLoader[uuid.UUID, User | None](load_fn=by_key(services.users.get_many))
        self.company = DataLoader[uuid.UUID, Company | None](
            load_fn=by_key(services.companies.get_many)
        )
        self.contact_phones = DataLoader[uuid.UUID, list[PhoneNumber] | None](
            load_fn=by_key(services.contacts.phones_of)
        )
        self.company_phones = DataLoader[uuid.UUID, list[PhoneNumber] | None](
            load_fn=by_key(services.companies.phones_of)
        )
        self.company_contacts = DataLoader[CompanyContactsKey, Page[Contact]](
            load_fn=company_contact_pages(services)
        )
        self.recording_by_activity = DataLoader[uuid.UUID, Recording | None](
            load_fn=by_key(services.recordings.by_activities)
        )
        self.contact = DataLoader[uuid.UUID, Contact | None](
            load_fn=by_key(services.contacts.get_many)
        )
        self.contact_activities = DataLoader[PageKey, Page[Activity]](
            load_fn=pages_by_parent(
                lambda ids, first, after: services.activities.pages_by_contact(
                    ids, limit=first, cursor=after
                )
            )
        )

    def clear_all(self) -> None:
        """Forget cached rows after a write, so the same request reads what it wrote."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()
