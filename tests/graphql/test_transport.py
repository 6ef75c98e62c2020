"""/graphql at the HTTP level: bodies that are not JSON, and the GraphQL-over-HTTP media type."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"
WANTS_GRAPHQL_RESPONSE = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}


def coded_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "variables": {"x": "\xff\xfe"}}',
        b'{"query": "{ __typename \xc3\x28 }"}',
        b"\xff\xfe\xfd",
    ],
)
async def test_transport_invalid_utf8_is_a_400_with_a_code(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    coded_error(response, 400, "BAD_REQUEST")


async def test_transport_deeply_nested_json_is_a_400_with_a_code(client: httpx.AsyncClient) -> None:
    body = b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * 100_000 + b"]" * 100_000
    body += b"}}"
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    error = coded_error(response, 400, "BAD_REQUEST")
    assert "nested" in error["message"]


async def test_transport_json_number_too_long_to_read_is_a_400_with_a_code(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}"
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    coded_error(response, 400, "BAD_REQUEST")


async def test_transport_malformed_json_is_a_400_with_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": ', headers={"Content-Type": "application/json"}
    )
    coded_error(response, 400, "BAD_REQUEST")


async def test_transport_graphql_response_media_type_when_asked(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=WANTS_GRAPHQL_RESPONSE
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "query",
    [
        "{ __typename",  # does not parse
        "{ noSuchField }",  # does not validate
        "{ " + " ".join("users(first: 1) { nodes { id } }" for _ in range(11)) + " }",  # a limit
    ],
)
async def test_transport_graphql_response_request_errors_are_400_without_data(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.post("/graphql", json={"query": query}, headers=WANTS_GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"]


async def test_transport_graphql_response_bad_variables_are_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "query ($n: Int) { contacts(first: $n) { nodes { id } } }",
            "variables": {"n": "many"},
        },
        headers=WANTS_GRAPHQL_RESPONSE,
    )
    assert response.status_code == 400, response.text


async def test_transport_graphql_response_field_errors_stay_200(
    anonymous: httpx.AsyncClient,
) -> None:
    # refused by a permission while executing: a field error, with data
    response = await anonymous.post(
        "/graphql", json={"query": "{ users { nodes { id } } }"}, headers=WANTS_GRAPHQL_RESPONSE
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_transport_plain_json_clients_keep_200_for_request_errors(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("Accept", None)
    response = await client.post("/graphql", json={"query": "{ __typename"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None
    assert body["errors"]
