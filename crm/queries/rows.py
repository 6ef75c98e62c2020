"""Rows by key, and the constant statements of the hot reads with the rows they return.

The one place that builds Piccolo rows without Piccolo's constructor (`row_from`), for
speed; `tests/test_db.py` fails the moment Piccolo's row state changes shape.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from piccolo.columns import Column, ForeignKey
from piccolo.querystring import QueryString
from piccolo.table import Table

from crm.engine import current_engine
from crm.queries.transactions import for_update

T = TypeVar("T", bound=Table)

PICCOLO_ROW_STATE: dict[str, object] = {"_exists_in_db": True, "_was_created": None}
"""What Piccolo's constructor (`table(_exists_in_db=True, ...)`) sets on a row besides its
columns, as Piccolo 1.38 names it: private, so pinned here and checked by a test."""


class ById(Generic[T]):
    """The statements every table keyed by `id` has: read one (optionally locked), read
    several, ask whether one exists, delete one. A noun's query module names them."""

    def __init__(self, table: type[T]) -> None:
        self._table = table
        self._id = table._meta.primary_key

    async def by_id(self, row_id: uuid.UUID, *, lock: bool = False) -> T | None:
        """The row with this id; with `lock`, it stays locked until the transaction ends."""
        query = self._table.objects().where(self._id == row_id)
        row: T | None = await (for_update(query) if lock else query).first()
        return row

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, T]:
        """The rows with these ids, by id; no ids, no query."""
        return await rows_by_key(self._table, self._id, ids)

    async def exists(self, row_id: uuid.UUID) -> bool:
        return bool(await self._table.exists().where(self._id == row_id))

    async def delete(self, row_id: uuid.UUID) -> None:
        await self._table.delete().where(self._id == row_id)


async def rows_by_key(
    table: type[T], column: Column, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, T]:
    """The rows whose `column` is one of `keys`, by that key, for DataLoaders; no keys, no query."""
    if not keys:
        return {}
    marks = ", ".join("{}" for _ in keys)
    sql = select_sql(table, f'"{column._meta.db_column_name}" IN ({marks})')
    name = column._meta.name
    rows = (row_from(table, record) for record in await fetch(sql, *keys))
    return {getattr(row, name): row for row in rows}


def row_from(table: type[T], record: Mapping[str, Any], *, prefix: str = "") -> T:
    """The `table` row a database record holds, as `table(_exists_in_db=True, **record)`
    builds it, for records that carry every column (under `prefix` + the column's name).

    Piccolo's constructor looks every column up twice and then its default, tens of
    microseconds a row; the hot reads (a caller lookup, a credential check) build
    several rows per request from records that hold every column already. A test
    proves both give the same row for every table.
    """
    row = table.__new__(table)
    values = row.__dict__
    values.update(PICCOLO_ROW_STATE)
    for name in _column_names(table):
        values[name] = record[prefix + name]
    return row


@functools.cache
def _column_names(table: type[Table]) -> tuple[str, ...]:
    return tuple(column._meta.name for column in table._meta.columns)


@functools.cache
def select_list(table: type[Table], alias: str = "") -> str:
    """Every column of `table`, named as `row_from` reads them: `<alias>__<column>` for a
    table joined in under `alias` (read back with `prefix="<alias>__"`), else `<column>`."""
    source, name = (f"{alias}.", f"{alias}__") if alias else ("", "")
    return ", ".join(
        f'{source}"{column._meta.db_column_name}" AS "{name}{column._meta.name}"'
        for column in table._meta.columns
    )


def select_sql(table: type[Table], where: str) -> str:
    """`SELECT` every column of `table` (as `row_from` reads them) `WHERE where`.

    For the few statements run on every request: Piccolo's query builder costs far
    more to build a query than this constant text costs to send (`{}` marks each
    bound value, as in Piccolo's `raw`).
    """
    return f"SELECT {select_list(table)} FROM {table._meta.tablename} WHERE {where}"  # noqa: S608 (fixed text)


async def fetch(sql: str, *args: Any) -> Sequence[Mapping[str, Any]]:
    """The records a constant statement returns (`{}` marks each bound value).

    It hands the statement to the engine as Piccolo's `raw` does, without the query
    object `raw` builds around it: the statements every request runs (a caller lookup,
    a credential check) are worth the difference. Inside a transaction it runs there.
    """
    records: Sequence[Mapping[str, Any]] = await current_engine().run_querystring(
        QueryString(sql, *args)
    )
    return records


async def first_row(table: type[T], sql: str, *args: Any) -> T | None:
    """The first row a `select_sql` statement finds, or `None`."""
    records = await fetch(sql, *args)
    return row_from(table, records[0]) if records else None


async def save(row: Table, columns: Sequence[Column] | None = None) -> None:
    """Insert a new row, or write `columns` (every column by default) of a stored one."""
    await row.save(columns=columns)


class ChangedColumns:
    """How an update writes a table: the columns it always writes, and those the input
    fields it was given write, no other, so a simultaneous change of other fields keeps
    its values. An input field writes the column of its name; a reference (`owner_id`)
    writes its foreign key (`owner`); `also` names any other field's column."""

    def __init__(self, always: Sequence[Column], writes: Sequence[Column], **also: Column) -> None:
        self._always = tuple(always)
        self._columns_of = dict(also)
        for column in writes:
            name = column._meta.name
            self._columns_of[f"{name}_id" if isinstance(column, ForeignKey) else name] = column

    async def save(self, row: Table, fields: Iterable[str]) -> None:
        """Write the columns of a changed row that the given input `fields` write."""
        columns = list(self._always)
        for field in fields:
            column = self._columns_of.get(field)
            # By identity: columns overload `==` to build a query condition.
            if column is not None and all(column is not seen for seen in columns):
                columns.append(column)
        await row.save(columns=columns)


async def oldest(table: type[T], condition: Any) -> T | None:
    """The first row created of those that meet `condition` (by creation time, then id)."""
    row: T | None = (
        await table.objects()
        .where(condition)
        .order_by(table._meta.get_column_by_name("created_at"), table._meta.primary_key)
        .first()
    )
    return row
