"""The statements of `crm.domain.companies`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw

from crm.domain.pagination import Page, PageRequest, updated_at_cursor
from crm.queries.paging import keyset_page
from crm.queries.rows import changed_columns, rows_by_key
from crm.queries.transactions import for_update
from crm.tables import Company

_COLUMNS_OF_INPUT: dict[str, Column] = {
    "name": Company.name,
    "website": Company.website,
    "address": Company.address,
    "owner_id": Company.owner,
}


async def by_id(company_id: uuid.UUID, *, lock: bool = False) -> Company | None:
    """The company; with `lock`, its row stays locked until the transaction ends."""
    query = Company.objects().where(Company.id == company_id)
    return await (for_update(query) if lock else query).first()


async def by_ids(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Company]:
    return await rows_by_key(Company, Company.id, ids)


async def oldest_by_folded_name(folded: str) -> Company | None:
    """The oldest company whose folded name is `folded`."""
    result: Company | None = (
        await Company.objects()
        .where(Company.search_text == folded)
        .order_by(Company.created_at, Company.id)
        .first()
    )
    return result


async def page(
    request: PageRequest, *, pattern: str | None, since: datetime | None
) -> Page[Company]:
    """Companies in (updated_at, id) order whose folded name is `LIKE pattern`, changed at or
    after `since`."""
    query = Company.objects()
    if pattern is not None:
        query = query.where(WhereRaw("crm_company.search_text LIKE {} ESCAPE '\\'", pattern))
    if since is not None:
        query = query.where(Company.updated_at >= since)
    return await keyset_page(
        query, request, sort=Company.updated_at, id_column=Company.id, cursor_of=updated_at_cursor
    )


async def save_changes(company: Company, fields: Iterable[str]) -> None:
    """Write the time and search text of a change and the columns of the given input
    `fields`, no other: a simultaneous change of other fields keeps its values."""
    columns = [Company.updated_at, Company.search_text, *changed_columns(_COLUMNS_OF_INPUT, fields)]
    await company.save(columns=columns)


async def delete(company_id: uuid.UUID) -> None:
    await Company.delete().where(Company.id == company_id)


async def exists(company_id: uuid.UUID) -> bool:
    return bool(await Company.exists().where(Company.id == company_id))
