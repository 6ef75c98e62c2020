"""The statements of `crm.domain.companies`."""

from __future__ import annotations

from datetime import datetime

from piccolo.columns.combination import WhereRaw

from crm.domain.pagination import Page, PageRequest, updated_at_cursor
from crm.queries.paging import keyset_page
from crm.queries.rows import ById, ChangedColumns, oldest
from crm.tables import Company

_by_id = ById(Company)
by_id = _by_id.by_id
by_ids = _by_id.by_ids
delete = _by_id.delete
exists = _by_id.exists

save_changes = ChangedColumns(
    always=(Company.updated_at, Company.search_text),
    writes=(Company.name, Company.website, Company.address, Company.owner),
).save
"""Write a changed company: its time, its search text and the columns of the given fields."""


async def oldest_by_folded_name(folded: str) -> Company | None:
    """The oldest company whose folded name is `folded`."""
    return await oldest(Company, Company.search_text == folded)


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
