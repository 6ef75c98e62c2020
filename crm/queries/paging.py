"""Keyset pages: one list in (time, id) order, or the first page of many owners at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.query.methods.objects import Objects
from piccolo.table import Table

from crm.domain.pagination import Page, PageRequest, page_of, position_after
from crm.domain.validation import as_utc

T = TypeVar("T", bound=Table)


def after_condition(
    sort: Column, id_column: Column, request: PageRequest, descending: bool
) -> WhereRaw | None:
    """Rows strictly after the request's cursor in (sort, id) order: the keyset condition.

    A row comparison, `(sort, id) > (at, id)`, which both engines bound an index scan on
    (sort, id) with; the equivalent `sort > at OR (sort = at AND id > id)` is only a filter
    to PostgreSQL, whose scan then walks every row before the cursor (2 s in the middle of
    1,000,000 contacts, against 0.3 ms)."""
    position = position_after(request)
    if position is None:
        return None
    return beyond(sort, id_column, *position, descending=descending)


def beyond(
    sort: Column, id_column: Column, at: Any, row_id: uuid.UUID, *, descending: bool = False
) -> WhereRaw:
    """Rows strictly after `(at, row_id)` in (sort, id) order, as one row comparison."""
    table = sort._meta.table._meta.tablename
    columns = ", ".join(f'{table}."{c._meta.db_column_name}"' for c in (sort, id_column))
    operator = "<" if descending else ">"
    return WhereRaw(f"({columns}) {operator} ({{}}, {{}})", at, row_id)


async def keyset_page(
    query: Objects[Any],
    request: PageRequest,
    *,
    sort: Column,
    id_column: Column,
    cursor_of: Callable[[Any], str],
    descending: bool = False,
) -> Page[Any]:
    """One page of `query` in (sort, id) order, starting after the request's cursor.

    Ascending `updated_at` order makes a list an incremental sync: a client keeps the
    last cursor (or `updated_at`) it saw and asks again later for what changed.
    """
    after = after_condition(sort, id_column, request, descending)
    if after is not None:
        query = query.where(after)
    query = query.order_by(sort, id_column, ascending=not descending).limit(request.limit + 1)
    return page_of(list(await query), request.limit, cursor_of)


async def first_rows_per_owner(
    table: type[T],
    owner: Column,
    owner_ids: Sequence[uuid.UUID],
    request: PageRequest,
    *,
    sort: Column,
    descending: bool = False,
) -> dict[uuid.UUID, list[T]]:
    """Each owner's first `limit + 1` rows in (sort, id) order after the cursor, in two
    queries: a window function numbers each owner's rows, so a page of owners with their
    rows costs the same whatever the number of owners."""
    if not owner_ids:
        return {}
    placeholders = ", ".join("{}" for _ in owner_ids)
    owner_name, sort_name = owner._meta.db_column_name, sort._meta.db_column_name
    where = f"{owner_name} IN ({placeholders})"
    args: list[object] = list(owner_ids)
    position = position_after(request)
    if position is not None:
        operator = "<" if descending else ">"
        where += f" AND ({sort_name}, id) {operator} ({{}}, {{}})"  # a row comparison, as `beyond`
        args += [*position]
    order = "DESC" if descending else "ASC"
    sql = (
        "SELECT id FROM (SELECT id, row_number() OVER"  # noqa: S608 (column names and placeholders only)
        f" (PARTITION BY {owner_name} ORDER BY {sort_name} {order}, id {order}) AS n"
        f" FROM {table._meta.tablename} WHERE {where}) AS ranked WHERE n <= {{}}"
    )
    ranked = await table.raw(sql, *args, request.limit + 1)
    ids = [uuid.UUID(str(row["id"])) for row in ranked]
    rows = await table.objects().where(table._meta.primary_key.is_in(ids)) if ids else []
    grouped: dict[uuid.UUID, list[T]] = {owner_id: [] for owner_id in owner_ids}
    attribute, key = owner._meta.name, table._meta.primary_key._meta.name
    in_order = sorted(
        rows,
        key=lambda row: (as_utc(getattr(row, sort._meta.name)), str(getattr(row, key))),
        reverse=descending,
    )
    for row in in_order:
        grouped[getattr(row, attribute)].append(row)
    return grouped
