"""The query parameters every list hook takes (page size, cursor, incremental sync), and
the page every list hook answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.params import QueryParameter

from facade import lenient
from facade.ringotel.hooks import Fills

Limit = Annotated[
    str | None,
    QueryParameter(
        name="limit", description="Records per page (default and cap are the server's settings)."
    ),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        name="cursor",
        description="The `next_cursor` of the previous page; absent for the first page.",
    ),
]
UpdatedSince = Annotated[
    str | None,
    QueryParameter(
        name="updated_since",
        description="Only records changed at or after this time (epoch ms, epoch s or ISO 8601).",
    ),
]
NextCursor = Annotated[
    str | None,
    msgspec.Meta(description="Pass as `cursor` for the next page; null on the last."),
    Fills("next_cursor"),
]


def page_variables(
    limit: str | None, cursor: str | None, updated_since: str | None = None
) -> dict[str, Any]:
    """The connection's arguments (`first`, `after`, `filter.updatedSince`) for a page."""
    variables: dict[str, Any] = {}
    first = lenient.count(limit, "limit")
    if first is not None:
        variables["first"] = first
    after = lenient.text(cursor, "cursor")
    if after is not None:
        variables["after"] = after
    since = lenient.moment(updated_since, "updated_since")
    if since is not None:
        variables["filter"] = {"updatedSince": since}
    return variables


def next_cursor(connection: Mapping[str, Any]) -> str | None:
    """The cursor of the page after this one; `None` on the last page."""
    info = connection.get("pageInfo") or {}
    return info.get("endCursor") if info.get("hasNextPage") else None


RecordT = TypeVar("RecordT")
PageT = TypeVar("PageT")


def page_of(
    page: Callable[[list[RecordT], str | None], PageT],
    connection: Mapping[str, Any],
    record: Callable[[Mapping[str, Any]], RecordT],
) -> PageT:
    """The `page` answer of a GraphQL connection, each of its nodes made a record by `record`."""
    return page([record(node) for node in connection["nodes"]], next_cursor(connection))
