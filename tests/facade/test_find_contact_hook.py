"""FindContact: the caller by number in any format; no match is an empty list, never 404."""

from __future__ import annotations

import httpx
import pytest

from tests.graphql.crm_records import create_company, create_contact

LOOKUP = "/ringotel/v1/contacts/lookup"


async def make_carol(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/ringotel/v1/contacts",
        json={"firstname": "Carol", "phone": "+1 (201) 555-0123", "company_name": "Acme"},
    )
    assert response.status_code == 201, response.text
    contact_id: str = response.json()["id"]
    return contact_id


async def main_line_company(client: httpx.AsyncClient, name: str, number: str) -> str:
    """A company whose `number` is its MAIN line; its id."""
    company = await create_company(client, name=name, phones=[{"number": number, "kind": "MAIN"}])
    company_id: str = company["id"]
    return company_id


@pytest.mark.parametrize(
    "query",
    [
        "phone=+12015550123",  # a + sent unencoded arrives as a space
        "phone=%2B12015550123",
        "phone=%2B1%20(201)%20555-0123",
        "phone=12015550123",
        "phone=(201)%20555-0123",  # national, read in the default region
        "phone=001%20201%20555%200123",
    ],
)
async def test_find_contact_finds_the_caller_in_any_format(
    client: httpx.AsyncClient, query: str
) -> None:
    contact_id = await make_carol(client)
    response = await client.get(f"{LOOKUP}?{query}")
    assert response.status_code == 200, response.text
    [record] = response.json()["records"]
    assert record["id"] == contact_id
    assert record["firstname"] == "Carol"
    assert record["phone"] == "+12015550123"
    assert record["company"]["name"] == "Acme"


async def test_find_contact_without_a_match_is_an_empty_list(client: httpx.AsyncClient) -> None:
    await make_carol(client)
    response = await client.get(LOOKUP, params={"phone": "+44 20 7946 0018"})
    assert response.status_code == 200
    assert response.json() == {"records": []}


async def test_find_contact_refuses_a_missing_or_unreadable_number_by_name(
    client: httpx.AsyncClient,
) -> None:
    for params in ({}, {"phone": ""}, {"phone": "$phone$"}, {"phone": "call me maybe"}):
        response = await client.get(LOOKUP, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["field"] == "phone"


async def test_find_contact_marks_a_main_line_and_names_its_company(
    client: httpx.AsyncClient,
) -> None:
    company_id = await main_line_company(client, "Globex", "+12015550100")
    for name in ("Ann", "Bob"):
        await create_contact(
            client,
            firstName=name,
            companyId=company_id,
            phones=[{"number": "+1 201 555 0100", "kind": "WORK"}],
        )
    response = await client.get(LOOKUP, params={"phone": "12015550100"})
    records = response.json()["records"]
    assert sorted(r["firstname"] for r in records) == ["Ann", "Bob"]
    for record in records:
        assert record["main_line"] is True
        assert record["match"] == "e164"
        assert record["matched_number"] == "+1 201 555 0100"
        assert record["company"] == {"id": company_id, "name": "Globex"}


async def test_find_contact_says_why_a_direct_number_matched(client: httpx.AsyncClient) -> None:
    await make_carol(client)
    [record] = (await client.get(LOOKUP, params={"phone": "(201) 555-0123"})).json()["records"]
    assert record["match"] == "e164"
    assert record["main_line"] is False


@pytest.mark.parametrize("withheld", ["anonymous", "Private", "UNKNOWN", "restricted"])
async def test_find_contact_for_a_withheld_number_is_an_empty_list(
    client: httpx.AsyncClient, withheld: str
) -> None:
    await make_carol(client)
    response = await client.get(LOOKUP, params={"phone": withheld})
    assert response.status_code == 200, response.text
    assert response.json() == {"records": []}


async def test_a_main_line_nobody_shares_brings_the_company_staff(
    client: httpx.AsyncClient,
) -> None:
    company_id = await main_line_company(client, "Initech", "+12015550199")
    for name, number in (("Peter", "+12015550101"), ("Milton", None)):
        phones = [{"number": number, "kind": "MOBILE"}] if number else []
        await create_contact(client, firstName=name, companyId=company_id, phones=phones)
    records = (await client.get(LOOKUP, params={"phone": "+1 201 555 0199"})).json()["records"]
    assert sorted(r["firstname"] for r in records) == ["Milton", "Peter"]
    assert all(r["main_line"] and r["company"]["name"] == "Initech" for r in records)
    assert {r["matched_number"] for r in records} == {"+12015550199"}


async def test_the_staff_member_who_called_from_the_main_line_last_comes_first(
    client: httpx.AsyncClient,
) -> None:
    company_id = await main_line_company(client, "Initech", "+12015550199")
    ids = {}
    for name in ("Peter", "Milton", "Samir"):
        ids[name] = (await create_contact(client, firstName=name, companyId=company_id))["id"]
    # Ringotel logs a call from the main line, and the agent links it to Milton.
    call = await client.post(
        "/ringotel/v1/activities",
        json={"call_id": "c-1", "direction": "inbound", "caller_number": "(201) 555-0199"},
    )
    assert call.status_code == 201, call.text
    linked = await client.put(
        f"/ringotel/v1/activities/{call.json()['id']}/contact", json={"contact_id": ids["Milton"]}
    )
    assert linked.status_code == 200, linked.text
    records = (await client.get(LOOKUP, params={"phone": "+1 201 555 0199"})).json()["records"]
    assert records[0]["id"] == ids["Milton"]
    assert sorted(r["firstname"] for r in records) == ["Milton", "Peter", "Samir"]


async def test_the_line_of_a_company_without_contacts_is_an_empty_list(
    client: httpx.AsyncClient,
) -> None:
    await main_line_company(client, "Lonely Ltd", "+12015550100")
    response = await client.get(LOOKUP, params={"phone": "+12015550100"})
    assert response.status_code == 200
    assert response.json() == {"records": []}
