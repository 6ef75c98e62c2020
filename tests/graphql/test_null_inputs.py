"""An explicit `null` for an input whose column cannot be empty: refused as VALIDATION
naming the field, nothing written. Leaving the field out keeps it (or its default)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crm.tables import Activity, Company, Contact, PhoneNumber
from tests.graphql_client import gql, gql_errors

CREATE_ACTIVITY = (
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) "
    "{ created activity { id status startedAt } } }"
)
UPDATE_ACTIVITY = (
    "mutation($id: ID!, $input: UpdateActivityInput!) "
    "{ updateActivity(id: $id, input: $input) { id status startedAt } }"
)
CREATE_CONTACT = (
    "mutation($input: CreateContactInput!) { createContact(input: $input) { created } }"
)
UPDATE_COMPANY = (
    "mutation($id: ID!, $input: UpdateCompanyInput!) "
    "{ updateCompany(id: $id, input: $input) { id name phones { kind } } }"
)


def assert_validation(errors: list[dict[str, Any]], field: str) -> None:
    assert len(errors) == 1, errors
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}, errors


@pytest.mark.parametrize("field", ["startedAt", "status"])
async def test_a_new_call_with_null_for_a_field_that_cannot_be_empty_is_refused(
    client: httpx.AsyncClient, field: str
) -> None:
    errors = await gql_errors(
        client, CREATE_ACTIVITY, {"input": {"callId": "c-1", "direction": "INBOUND", field: None}}
    )
    assert_validation(errors, field)
    assert await Activity.count() == 0


@pytest.mark.parametrize("field", ["startedAt", "status"])
async def test_an_update_with_null_for_a_field_that_cannot_be_empty_is_refused(
    client: httpx.AsyncClient, field: str
) -> None:
    data = await gql(client, CREATE_ACTIVITY, {"input": {"callId": "c-1", "direction": "INBOUND"}})
    activity = data["createActivity"]["activity"]
    before = await Activity.select().first()
    errors = await gql_errors(
        client, UPDATE_ACTIVITY, {"id": activity["id"], "input": {field: None}}
    )
    assert_validation(errors, field)
    assert await Activity.select().first() == before


async def test_a_number_with_null_for_its_kind_is_refused_by_its_place(
    client: httpx.AsyncClient,
) -> None:
    errors = await gql_errors(
        client,
        CREATE_CONTACT,
        {
            "input": {
                "firstName": "Ann",
                "phones": [
                    {"number": "+44 20 7946 0001"},
                    {"number": "+44 20 7946 0002", "kind": None},
                ],
            }
        },
    )
    assert_validation(errors, "phones.1.kind")
    assert await Contact.count() == 0
    assert await PhoneNumber.count() == 0


async def test_a_company_s_number_with_null_for_its_kind_is_refused(
    client: httpx.AsyncClient,
) -> None:
    data = await gql(client, 'mutation { createCompany(input: {name: "Acme"}) { id } }')
    company_id = data["createCompany"]["id"]
    errors = await gql_errors(
        client,
        UPDATE_COMPANY,
        {"id": company_id, "input": {"phones": [{"number": "+44 20 7946 0000", "kind": None}]}},
    )
    assert_validation(errors, "phones.0.kind")
    assert await PhoneNumber.count() == 0
    errors = await gql_errors(client, UPDATE_COMPANY, {"id": company_id, "input": {"name": None}})
    assert_validation(errors, "name")
    assert [row["name"] for row in await Company.select(Company.name)] == ["Acme"]


async def test_leaving_the_kind_out_is_a_work_number(client: httpx.AsyncClient) -> None:
    data = await gql(client, 'mutation { createCompany(input: {name: "Acme"}) { id } }')
    updated = await gql(
        client,
        UPDATE_COMPANY,
        {"id": data["createCompany"]["id"], "input": {"phones": [{"number": "+44 20 7946 0000"}]}},
    )
    assert updated["updateCompany"]["phones"] == [{"kind": "WORK"}]
