"""The query parameters every list hook takes: page size, cursor and (where the list has it)
incremental sync."""

from __future__ import annotations

from facade import lenient
from facade.ringotel.hooks import Input

LIMIT = Input(
    "limit",
    lenient.count,
    "Records per page (default and cap are the server's settings).",
    where="query",
    target="first",
)
CURSOR = Input(
    "cursor",
    lenient.text,
    "The `next_cursor` of the previous page; absent for the first page.",
    where="query",
    target="after",
)
UPDATED_SINCE = Input(
    "updated_since",
    lenient.timestamp,
    "Only records changed at or after this time (epoch ms, epoch s or ISO 8601).",
    where="query",
    target="filter.updatedSince",
)

PAGE = (LIMIT, CURSOR)
SYNC_PAGE = (LIMIT, CURSOR, UPDATED_SINCE)
