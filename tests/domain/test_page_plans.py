"""A page after a cursor seeks the (time, id) index at the cursor, wherever the cursor is:
a page deep in a long list costs what the first page costs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from piccolo.querystring import QueryString
from piccolo.table import Table

from crm.domain.pagination import PageRequest
from crm.engine import current_engine
from crm.queries.paging import after_condition
from crm.tables import Activity, Contact
from tests.conftest import IS_POSTGRES

ROWS = 3000
CHUNK = 500
START = datetime(2026, 1, 1, tzinfo=UTC)


async def _insert(rows: Sequence[Table]) -> None:
    """`rows` in chunks (PostgreSQL takes at most 32,767 values a statement), then ANALYZE,
    so that the planner knows the list is long."""
    for start in range(0, len(rows), CHUNK):
        await type(rows[0]).insert(*rows[start : start + CHUNK])
    await current_engine().run_ddl("ANALYZE")


async def _plan(querystring: QueryString) -> list[str]:
    explain = "EXPLAIN {}" if IS_POSTGRES else "EXPLAIN QUERY PLAN {}"
    rows = await current_engine().run_querystring(QueryString(explain, querystring))
    return [row["QUERY PLAN"] if IS_POSTGRES else row["detail"] for row in rows]


def _seeks_at_the_cursor(plan: list[str], column: str) -> bool:
    """Whether the scan starts at the cursor (an index condition on the sort `column`),
    rather than walking the rows before it and filtering them out."""
    if IS_POSTGRES:
        return any("Index Cond" in line and column in line for line in plan)
    return any(line.startswith("SEARCH") and f"({column}" in line for line in plan)


async def test_a_page_in_the_middle_of_a_long_list_seeks_its_cursor() -> None:
    await _insert(
        [
            Contact(id=uuid.uuid4(), first_name=f"C{i}", updated_at=START + timedelta(seconds=i))
            for i in range(ROWS)
        ]
    )
    middle = (
        await Contact.objects().order_by(Contact.updated_at, Contact.id).offset(ROWS // 2).first()
    )
    assert middle is not None
    cursor = (middle.updated_at.isoformat(timespec="microseconds"), str(middle.id))
    condition = after_condition(
        Contact.updated_at, Contact.id, PageRequest(limit=100, after=cursor), descending=False
    )
    assert condition is not None
    query = Contact.objects().where(condition).order_by(Contact.updated_at, Contact.id).limit(101)
    plan = await _plan(query.querystrings[0])
    assert _seeks_at_the_cursor(plan, "updated_at"), "\n".join(plan)
    rows = await query
    assert rows[0].updated_at == middle.updated_at + timedelta(seconds=1)


async def test_a_newest_first_page_after_a_cursor_seeks_it_too() -> None:
    await _insert(
        [
            Activity(
                call_id=f"c{i}",
                direction="inbound",
                status="completed",
                started_at=START + timedelta(seconds=i),
            )
            for i in range(ROWS)
        ]
    )
    middle = await (
        Activity.objects()
        .order_by(Activity.started_at, Activity.id, ascending=False)
        .offset(ROWS // 2)
        .first()
    )
    assert middle is not None
    cursor = (middle.started_at.isoformat(timespec="microseconds"), str(middle.id))
    condition = after_condition(
        Activity.started_at, Activity.id, PageRequest(limit=100, after=cursor), descending=True
    )
    assert condition is not None
    query = (
        Activity.objects()
        .where(condition)
        .order_by(Activity.started_at, Activity.id, ascending=False)
        .limit(101)
    )
    rows = await query
    assert rows[0].started_at == middle.started_at - timedelta(seconds=1)
    plan = await _plan(query.querystrings[0])
    assert _seeks_at_the_cursor(plan, "started_at"), "\n".join(plan)
