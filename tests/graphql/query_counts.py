"""Counting the SQL queries a GraphQL page costs, on the engine the app really runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.engine import current_engine
from tests.graphql_client import gql


@contextmanager
def counted_queries(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every query the app's engine runs inside the block."""
    engine = app.state.engine
    assert current_engine() is engine  # the tables run on the engine we are counting
    seen: list[str] = []
    engine_class = type(engine)  # engines use __slots__: wrap the method on the class
    run = engine_class.run_querystring

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        if self is engine:
            seen.append(str(querystring))
        return await run(self, querystring, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(engine_class, "run_querystring", counting)
        yield seen


async def pages_and_query_counts(
    client: httpx.AsyncClient,
    app: Litestar,
    monkeypatch: pytest.MonkeyPatch,
    document: str,
    field: str,
    sizes: tuple[int, ...],
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, int]]:
    """For each page size, the full page of `field` that `document` answers and the number
    of queries it cost: a page of relations should cost the same whatever its size."""
    pages: dict[int, list[dict[str, Any]]] = {}
    counts: dict[int, int] = {}
    for first in sizes:
        with counted_queries(app, monkeypatch) as queries:
            data = await gql(client, document, {"first": first})
        pages[first] = data[field]["nodes"]
        assert len(pages[first]) == first
        counts[first] = len(queries)
    return pages, counts
