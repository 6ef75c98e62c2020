"""Domain errors name the domain's attributes; GraphQL clients read the schema's names,
on /graphql and on `schema.execute` alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.domain.principal import ALL_SCOPES, Principal
from crm.graphql.context import new_context
from crm.graphql.field_names import graphql_field
from crm.graphql.schema import schema

CREATE = """
mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }
"""
UNKNOWN_OWNER = {"firstName": "Ada", "ownerId": "00000000-0000-0000-0000-000000000000"}
BAD_SECOND_NUMBER = {
    "firstName": "Ada",
    "phones": [{"number": "+1 415 555 0100"}, {"number": "not a number"}],
}


@pytest.mark.parametrize(
    ("domain", "graphql"),
    [
        ("owner_id", "ownerId"),
        ("phones.1.number", "phones.1.number"),
        ("first_name", "firstName"),
        ("updated_since", "updatedSince"),
        ("ownerId", "ownerId"),
        ("id", "id"),
    ],
)
def test_domain_attribute_paths_become_the_schema_names(domain: str, graphql: str) -> None:
    assert graphql_field(domain) == graphql


@pytest.mark.parametrize(
    ("variables", "field"),
    [(UNKNOWN_OWNER, "ownerId"), (BAD_SECOND_NUMBER, "phones.1.number")],
)
async def test_schema_execute_names_the_schema_field(
    app: Litestar, anonymous: httpx.AsyncClient, variables: dict[str, Any], field: str
) -> None:
    principal = Principal(subject="test", scopes=frozenset(ALL_SCOPES), kind="api_key")
    context = new_context(app.state.services, principal)
    result = await schema.execute(CREATE, {"input": variables}, context_value=context)
    assert result.errors
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["field"] == field


@pytest.mark.parametrize(
    ("variables", "field"),
    [(UNKNOWN_OWNER, "ownerId"), (BAD_SECOND_NUMBER, "phones.1.number")],
)
async def test_graphql_endpoint_names_the_schema_field(
    client: httpx.AsyncClient, variables: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/graphql", json={"query": CREATE, "variables": {"input": variables}}
    )
    assert response.json()["errors"][0]["extensions"]["field"] == field
