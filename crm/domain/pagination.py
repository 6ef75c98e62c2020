"""Keyset pagination: opaque cursors and pages that stay stable while rows are added.

A cursor encodes the sort key and the id of the last row of a page; the next
page starts strictly after it, so paging never skips or repeats a row even
when rows are inserted meanwhile.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from crm.domain.config import DomainConfig
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


def page_request(limit: int | None, cursor: str | None, config: DomainConfig) -> PageRequest:
    """Check a client's `limit` and `cursor`: under 1 is an error, over the cap is capped."""
    if limit is None:
        limit = config.page_size_default
    if limit < 1:
        raise ValidationFailed("must be at least 1", field="limit")
    return PageRequest(
        limit=min(limit, config.page_size_max),
        after=decode_cursor(cursor) if cursor else None,
    )


def position_after(request: PageRequest) -> tuple[datetime, uuid.UUID] | None:
    """The (time, id) position a cursor of a time-ordered list holds; `None` on page one."""
    if request.after is None:
        return None
    return cursor_position(request.after)


def page_of(rows: Sequence[T], limit: int, cursor_of: Callable[[T], str]) -> Page[T]:
    """The first `limit` of `rows` (fetched one beyond), with the cursor that resumes after
    the last of them when more follow."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return Page(items=items, next_cursor=cursor_of(items[-1]) if more else None)


def updated_at_cursor(row: Any, attribute: str = "updated_at") -> str:
    """The cursor that resumes after `row` in (updated_at, id) order (or another time's)."""
    at: datetime = getattr(row, attribute)
    return encode_cursor(at.isoformat(timespec="microseconds"), str(row.id))
