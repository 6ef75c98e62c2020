"""A small GraphQL helper for tests: post a document, get `data` or the errors, or every page
of a connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run a document that must succeed; fail the test with the errors otherwise."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def gql_errors(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run a document that must fail; return its errors."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    errors: list[dict[str, Any]] = body.get("errors") or []
    assert errors, f"expected errors, got {body}"
    return errors


async def every_page(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    connection: Sequence[str],
    cursor: str = "after",
) -> list[dict[str, Any]]:
    """Every page of a connection, in order: `query` takes the cursor as `$<cursor>`, and
    `connection` is the connection's path in `data`; follows `endCursor` until `hasNextPage`
    is false."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page: Any = await gql(client, query, {**(variables or {}), cursor: after})
        for key in connection:
            page = page[key]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def nodes(pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The nodes of `every_page`'s pages, in order."""
    return [node for page in pages for node in page["nodes"]]
