"""Keyset pagination: opaque cursors and pages that stay stable while rows are added.

A cursor encodes the sort key and the id of the last row of a page; the next
page starts strictly after it, so paging never skips or repeats a row even
when rows are inserted meanwhile.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from crm.domain.errors import ValidationFailed

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
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("not a cursor this API returned", field=field) from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        raise ValidationFailed("not a cursor this API returned", field=field)
    return value[0], value[1]


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
