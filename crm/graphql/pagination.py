"""Cursor-paginated lists (connections), one shape for every list in the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from crm.domain.pagination import Page

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type
class PageInfo:
    """Where this page ends and whether another follows."""

    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")
    has_next_page: bool


@strawberry.type
class Connection(Generic[T]):
    """One page of a list."""

    nodes: list[T]
    page_info: PageInfo


def connection(page: Page[R], convert: Callable[[R], T]) -> Connection[T]:
    """A GraphQL page from a domain page."""
    return Connection(
        nodes=[convert(item) for item in page.items],
        page_info=PageInfo(end_cursor=page.next_cursor, has_next_page=page.next_cursor is not None),
    )
