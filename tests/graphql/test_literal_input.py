"""A value a scalar refuses, written in the document itself (not as a variable): a
VALIDATION error naming the argument or input field, as for a variable."""

from __future__ import annotations

import httpx
import pytest

from tests.graphql_client import gql_errors


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ contacts(filter: {updatedSince: "last tuesday"}) { nodes { id } } }', "updatedSince"),
        ('{ companies(filter: {updatedSince: "2026-13-01"}) { nodes { id } } }', "updatedSince"),
        ('{ deletedSince(since: "yesterday") { nodes { id } } }', "since"),
        (
            '{ activities(filter: {startedAfter: "2026-01-01T25:00:00Z"}) { nodes { id } } }',
            "startedAfter",
        ),
    ],
)
async def test_literal_bad_datetime_is_validation_naming_its_field(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    errors = await gql_errors(client, query)
    assert len(errors) == 1, errors
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}
    assert "DateTime" in errors[0]["message"]
    assert errors[0]["locations"], "the error points at the literal"


async def test_literal_bad_datetime_as_variable_still_names_the_variable(
    client: httpx.AsyncClient,
) -> None:
    query = "query ($since: DateTime!) { deletedSince(since: $since) { nodes { id } } }"
    errors = await gql_errors(client, query, {"since": "yesterday"})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "since"}
