"""The statements of `crm export`: records a page at a time in id order, with what their
rows name (numbers, company names, owners' emails)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from piccolo.columns import Column, ForeignKey
from piccolo.querystring import QueryString
from piccolo.table import Table

from crm.engine import current_engine

OwnerColumn = ForeignKey[Any]
"""`PhoneNumber.contact` or `PhoneNumber.company`: whose numbers."""


async def most_numbers_per_kind(owner: OwnerColumn) -> dict[str, int]:
    """For each kind of number, the most that one owner (`PhoneNumber.contact` or
    `.company`) has of it: how many columns of that kind an export needs."""
    column = owner._meta.db_column_name
    rows = await current_engine().run_querystring(
        QueryString(
            "SELECT kind, MAX(n) AS most FROM (SELECT kind, COUNT(*) AS n"  # noqa: S608 (our names)
            f" FROM crm_phone_number WHERE {column} IS NOT NULL GROUP BY {column}, kind) AS c"
            " GROUP BY kind"
        )
    )
    return {row["kind"]: int(row["most"]) for row in rows}


async def page_after(table: type[Table], after: uuid.UUID | None, size: int) -> list[Any]:
    """The next `size` rows of `table` in id order, after the id `after`."""
    id_column = table._meta.primary_key
    query = table.objects().order_by(id_column).limit(size)
    if after is not None:
        query = query.where(id_column > after)
    rows: list[Any] = await query
    return rows


async def values_by_id(column: Column, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Any]:
    """`column`'s value in each row with one of `ids` (`None`s left out), by id."""
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    table = column._meta.table
    key = table._meta.primary_key
    rows = await table.select(key.as_alias("id"), column.as_alias("value")).where(key.is_in(wanted))
    return {row["id"]: row["value"] for row in rows}
