"""Keyset pagination: opaque cursors and pages that stay stable while rows are added.

A cursor encodes the sort key and the id of the last row of a page; the next
page starts strictly after it, so paging never skips or repeats a row even
when rows are inserted meanwhile.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from piccolo.columns import Column
from piccolo.columns.combination import Or
from piccolo.query.methods.objects import Objects

from crm.domain.errors import ValidationFailed
from crm.domain.validation import utc_moment

MAX_CURSOR_LENGTH = 512
"""Longer than any cursor this API makes (a time and an id, in base64)."""
NOT_A_CURSOR = "not a cursor this API returned"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """How many rows to return and where to start."""

    limit: int
    after: tuple[str, str] | None = None
    """(sort key as text, id) of the last row already seen."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows and the cursor of the next page (``None`` on the last)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(sort_key: str, row_id: str) -> str:
    payload = json.dumps([sort_key, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "cursor") -> tuple[str, str]:
    """The (sort key, id) a cursor holds; a cursor we did not make is a validation error."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValidationFailed(NOT_A_CURSOR, field=field)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeError, RecursionError):
        raise ValidationFailed(NOT_A_CURSOR, field=field) from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        raise ValidationFailed(NOT_A_CURSOR, field=field)
    return value[0], value[1]


def cursor_position(after: tuple[str, str]) -> tuple[datetime, uuid.UUID]:
    """The (time, id) a cursor of a time-ordered list holds, the time in UTC.

    Not bounded to the range clients may give: a cursor may point after a row written
    before times were bounded, and paging must get past it."""
    at_text, id_text = after
    try:
        at = datetime.fromisoformat(at_text)
        row_id = uuid.UUID(id_text)
    except ValueError:
        raise ValidationFailed(NOT_A_CURSOR, field="cursor") from None
    if at.tzinfo is None:
        raise ValidationFailed(NOT_A_CURSOR, field="cursor")
    try:
        return utc_moment(at, field="cursor"), row_id
    except ValidationFailed:
        raise ValidationFailed(NOT_A_CURSOR, field="cursor") from None


def page_request(
    limit: int | None, cursor: str | None, *, default: int, maximum: int
) -> PageRequest:
    """Check a client's `limit` and `cursor`: under 1 is an error, over the cap is capped."""
    if limit is None:
        limit = default
    if limit < 1:
        raise ValidationFailed("must be at least 1", field="limit")
    return PageRequest(
        limit=min(limit, maximum),
        after=decode_cursor(cursor) if cursor else None,
    )


def sort_key_text(value: datetime | str) -> str:
    """The text form of a sort key that cursors carry."""
    return value.isoformat() if isinstance(value, datetime) else value


def updated_after(request: PageRequest) -> tuple[datetime, uuid.UUID] | None:
    """The (updated_at, id) position a cursor of an `updated_at`-ordered list holds."""
    if request.after is None:
        return None
    return cursor_position(request.after)


def after_position(
    sort_column: Column, id_column: Column, position: tuple[datetime, uuid.UUID]
) -> Or:
    """Rows strictly after `position` in (sort column, id) order: the keyset condition."""
    at, row_id = position
    return (sort_column > at) | ((sort_column == at) & (id_column > row_id))


async def updated_at_page(
    query: Objects[Any],
    request: PageRequest,
    *,
    updated_at: Column,
    id_column: Column,
) -> Page[Any]:
    """One page of `query` in (updated_at, id) order, starting after the request's cursor;
    `updated_at` may be another time column, such as a deletion's time.

    Ascending `updated_at` order makes the list an incremental sync: a client keeps
    the last cursor (or `updated_at`) it saw and asks again later for what changed.
    """
    position = updated_after(request)
    if position is not None:
        query = query.where(after_position(updated_at, id_column, position))
    query = query.order_by(updated_at, id_column).limit(request.limit + 1)
    rows = list(await query)
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    cursor = updated_at_cursor(rows[-1], updated_at._meta.name) if more and rows else None
    return Page(items=rows, next_cursor=cursor)


def updated_at_cursor(row: Any, attribute: str = "updated_at") -> str:
    """The cursor that resumes after `row` in (updated_at, id) order (or another time's)."""
    at: datetime = getattr(row, attribute)
    return encode_cursor(at.isoformat(timespec="microseconds"), str(row.id))
