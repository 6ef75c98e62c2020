"""DataLoaders: each relation is fetched once per request for a whole list of parents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from crm.domain.pagination import Page
from crm.domain.services import Services
from crm.tables import Company, Contact, PhoneNumber, Recording, User

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


CompanyContactsKey = tuple[uuid.UUID, int | None, str | None]
"""(company id, page size, cursor): one page of a company's contacts."""


def company_contact_pages(
    services: Services,
) -> Callable[[list[CompanyContactsKey]], Awaitable[list[Page[Contact]]]]:
    """Pages of contacts for many companies: one batch per (page size, cursor) asked for."""

    async def load(keys: list[CompanyContactsKey]) -> list[Page[Contact]]:
        groups: dict[tuple[int | None, str | None], list[uuid.UUID]] = {}
        for company_id, first, after in keys:
            groups.setdefault((first, after), []).append(company_id)
        pages: dict[CompanyContactsKey, Page[Contact]] = {}
        for (first, after), company_ids in groups.items():
            found = await services.contacts.pages_by_company(company_ids, limit=first, cursor=after)
            for company_id, page in found.items():
                pages[(company_id, first, after)] = page
        return [pages[key] for key in keys]

    return load


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

    def clear_all(self) -> None:
        """Forget cached rows after a write, so the same request reads what it wrote."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()
