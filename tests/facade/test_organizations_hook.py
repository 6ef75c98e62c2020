"""The Organizations hook: companies with their main number, paged."""

from __future__ import annotations

import httpx

from tests.graphql.crm_records import create_company


async def test_organizations_lists_companies_with_the_main_line_as_phone(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(
        client,
        name="Acme",
        website="acme.example",
        phones=[
            {"number": "+12015550101", "kind": "WORK"},
            {"number": "+12015550100", "kind": "MAIN"},
        ],
    )
    response = await client.get("/ringotel/v1/companies")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    [record] = body["records"]
    assert record["id"] == company["id"]
    assert record["name"] == "Acme"
    assert record["phone"] == "+12015550100"
    assert record["website"] == "https://acme.example"


async def test_organizations_refuses_bad_paging_by_name(client: httpx.AsyncClient) -> None:
    for params, field in [({"limit": "-1"}, "limit"), ({"cursor": "zzz"}, "cursor")]:
        response = await client.get("/ringotel/v1/companies", params=params)
        assert response.status_code == 422, params
        assert response.json()["field"] == field
