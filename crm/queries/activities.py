"""The statements of `crm.domain.activities` (and the call checks recordings make)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm.domain.pagination import Page, PageRequest, encode_cursor
from crm.domain.validation import as_utc
from crm.queries.paging import first_rows_per_owner, keyset_page
from crm.queries.rows import ById
from crm.queries.transactions import for_update
from crm.tables import Activity

_by_id = ById(Activity)
by_id = _by_id.by_id
by_ids = _by_id.by_ids
exists = _by_id.exists


def cursor_of(row: Activity) -> str:
    """The cursor that resumes after `row` in (started_at, id) order, newest first."""
    return encode_cursor(as_utc(row.started_at).isoformat(), str(row.id))


async def page(
    request: PageRequest,
    *,
    contact: uuid.UUID | None = None,
    user: uuid.UUID | None = None,
    status: str | None = None,
    direction: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    unassigned: bool | None = None,
) -> Page[Activity]:
    """Calls newest first (by start time, then id) where every condition given holds;
    `unassigned` is `True` for calls linked to no contact, `False` for linked ones."""
    conditions: list[Any] = []
    if contact is not None:
        conditions.append(Activity.contact == contact)
    if user is not None:
        conditions.append(Activity.user == user)
    if status is not None:
        conditions.append(Activity.status == status)
    if direction is not None:
        conditions.append(Activity.direction == direction)
    if started_after is not None:
        conditions.append(Activity.started_at >= started_after)
    if started_before is not None:
        conditions.append(Activity.started_at < started_before)
    if unassigned is True:
        conditions.append(Activity.contact.is_null())
    elif unassigned is False:
        conditions.append(Activity.contact.is_not_null())
    query = Activity.objects()
    for condition in conditions:
        query = query.where(condition)
    return await keyset_page(
        query,
        request,
        sort=Activity.started_at,
        id_column=Activity.id,
        cursor_of=cursor_of,
        descending=True,
    )


async def first_of_contacts(
    contact_ids: Sequence[uuid.UUID], request: PageRequest
) -> dict[uuid.UUID, list[Activity]]:
    """Each contact's first `limit + 1` calls, newest first, after the cursor."""
    return await first_rows_per_owner(
        Activity, Activity.contact, contact_ids, request, sort=Activity.started_at, descending=True
    )


async def insert_new(row: Activity) -> bool:
    """Store a new call, unless one with its `call_id` is stored; whether it was stored."""
    inserted = (
        await Activity.insert(row)
        .on_conflict(target=Activity.call_id, action="DO NOTHING")
        .returning(Activity.id)
    )
    return bool(inserted)


async def by_call_id_locked(call_id: str) -> Activity | None:
    """The call logged under `call_id`, locked until the transaction ends."""
    return await for_update(Activity.objects().where(Activity.call_id == call_id)).first()
