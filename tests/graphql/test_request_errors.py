"""Errors about the request itself (it does not parse, does not fit the schema, or its
variables do not fit their types) carry a code like every other error."""

from __future__ import annotations

import httpx
import pytest

from tests.graphql_client import gql_errors


async def test_request_error_syntax_has_the_parse_failed_code(client: httpx.AsyncClient) -> None:
    (error,) = await gql_errors(client, "{ contacts { nodes { id }")
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert error["message"].startswith("Syntax Error")
    assert error["locations"]


@pytest.mark.parametrize(
    "query",
    [
        "{ noSuchField }",
        "{ contacts { nodes { id noSuchField } } }",
        "{ contacts(noSuchArgument: 1) { nodes { id } } }",
        "{ contacts }",
        "query ($unused: Int) { __typename }",
    ],
)
async def test_request_error_validation_has_the_validation_failed_code(
    client: httpx.AsyncClient, query: str
) -> None:
    errors = await gql_errors(client, query)
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert all(error.get("locations") for error in errors)


async def test_request_error_variable_of_the_wrong_type_is_validation_naming_it(
    client: httpx.AsyncClient,
) -> None:
    query = "query ($n: Int) { contacts(first: $n) { nodes { id } } }"
    (error,) = await gql_errors(client, query, {"n": "many"})
    assert error["extensions"] == {"code": "VALIDATION", "field": "n"}


async def test_request_error_missing_required_variable_is_validation_naming_it(
    client: httpx.AsyncClient,
) -> None:
    query = "query ($id: ID!) { contact(id: $id) { id } }"
    (error,) = await gql_errors(client, query, {})
    assert error["extensions"] == {"code": "VALIDATION", "field": "id"}
