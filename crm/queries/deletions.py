"""The statements of `crm.domain.deletions`."""

from __future__ import annotations

import uuid
from datetime import datetime

from crm.domain.pagination import Page, PageRequest, updated_at_cursor
from crm.queries.paging import keyset_page
from crm.tables import Deletion


async def record(kind: str, record_id: uuid.UUID, at: datetime) -> None:
    await Deletion.insert(Deletion(id=record_id, kind=kind, deleted_at=at))


async def page_since(since: datetime, request: PageRequest) -> Page[Deletion]:
    """Deletions at or after `since`, oldest first."""
    return await keyset_page(
        Deletion.objects().where(Deletion.deleted_at >= since),
        request,
        sort=Deletion.deleted_at,
        id_column=Deletion.id,
        cursor_of=lambda row: updated_at_cursor(row, "deleted_at"),
    )
