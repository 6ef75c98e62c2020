"""Companies through /graphql: create with numbers, read, list, update, delete, bad input."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from crm.tables import Company, Contact, PhoneNumber
from tests.graphql.crm_records import (
    COMPANY_FIELDS,
    CREATE_COMPANY,
    assert_refused_unchanged,
    create_company,
    create_contact,
    create_user,
    update_company,
)
from tests.graphql.crm_records import UPDATE_COMPANY as UPDATE
from tests.graphql_client import every_page, gql, gql_errors, nodes

GET = f"query($id: ID!) {{ company(id: $id) {{ {COMPANY_FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteCompany(id: $id) }"


async def test_create_company_with_main_line_owner_and_website(client: httpx.AsyncClient) -> None:
    owner = await create_user(client)
    company = await create_company(
        client,
        name=" Acme GmbH ",
        website="acme.example",
        address="Unter den Linden 1, Berlin",
        ownerId=owner,
        phones=[
            {"number": "+49 30 901820", "kind": "MAIN"},
            {"number": "+49 30 9018 2199", "kind": "FAX"},
        ],
    )
    assert company["name"] == "Acme GmbH"
    assert company["website"] == "https://acme.example"
    assert company["address"] == "Unter den Linden 1, Berlin"
    assert company["owner"]["id"] == owner
    assert [(p["e164"], p["kind"]) for p in company["phones"]] == [
        ("+4930901820", "MAIN"),
        ("+493090182199", "FAX"),
    ]
    data = await gql(client, GET, {"id": company["id"]})
    assert data["company"] == company


async def test_unknown_or_malformed_company_id_is_not_found(client: httpx.AsyncClient) -> None:
    for bad in ["00000000-0000-0000-0000-000000000000", "nope"]:
        errors = await gql_errors(client, GET, {"id": bad})
        assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_update_company_changes_given_fields_and_replaces_numbers(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(
        client,
        name="Acme",
        website="acme.example",
        phones=[{"number": "+1 212 555 0100", "kind": "MAIN"}],
    )
    updated = await update_company(
        client,
        company["id"],
        website=None,
        phones=[{"number": "+44 20 7946 0000", "kind": "MAIN"}],
    )
    assert (updated["name"], updated["website"]) == ("Acme", None)
    assert [p["e164"] for p in updated["phones"]] == ["+442079460000"]
    assert await PhoneNumber.count() == 1
    assert datetime.fromisoformat(updated["updatedAt"]) > datetime.fromisoformat(
        company["updatedAt"]
    )


async def test_simultaneous_updates_of_different_company_fields_all_stay(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_user(client)
    created = await create_company(client, name="Acme")
    changes: list[dict[str, Any]] = [
        {"name": "Acme GmbH"},
        {"website": "acme.example"},
        {"address": "Unter den Linden 1, Berlin"},
        {"ownerId": owner},
        {"phones": [{"number": "+49 30 901820", "kind": "MAIN"}]},
    ]
    await asyncio.gather(*(update_company(client, created["id"], **change) for change in changes))
    company = (await gql(client, GET, {"id": created["id"]}))["company"]
    assert (company["name"], company["website"], company["address"]) == (
        "Acme GmbH",
        "https://acme.example",
        "Unter den Linden 1, Berlin",
    )
    assert company["owner"]["id"] == owner
    assert [phone["e164"] for phone in company["phones"]] == ["+4930901820"]


async def test_renaming_a_company_shows_its_contacts_as_changed(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, firstName="Ann", companyName="Acme")
    other = await create_contact(client, firstName="Bob")
    company_id = contact["company"]["id"]
    await update_company(client, company_id, address="1 Main St")
    query = (
        "query($since: DateTime) { contacts(filter: {updatedSince: $since}) "
        "{ nodes { firstName company { name } } } }"
    )
    data = await gql(client, query, {"since": other["updatedAt"]})
    assert [n["firstName"] for n in data["contacts"]["nodes"]] == ["Bob"]
    await update_company(client, company_id, name="Acme Group")
    data = await gql(client, query, {"since": other["updatedAt"]})
    assert data["contacts"]["nodes"] == [
        {"firstName": "Bob", "company": None},
        {"firstName": "Ann", "company": {"name": "Acme Group"}},
    ]


async def test_delete_company_keeps_its_contacts_without_a_company(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, firstName="Ann", companyName="Acme")
    company_id = contact["company"]["id"]
    await update_company(client, company_id, phones=[{"number": "+1 212 555 0100", "kind": "MAIN"}])
    data = await gql(client, DELETE, {"id": company_id})
    assert data["deleteCompany"] == company_id
    assert await Company.count() == 0
    assert await PhoneNumber.count() == 0
    data = await gql(
        client,
        "query($id: ID!) { contact(id: $id) { company { id } updatedAt } }",
        {"id": contact["id"]},
    )
    assert data["contact"]["company"] is None
    assert datetime.fromisoformat(data["contact"]["updatedAt"]) > datetime.fromisoformat(
        contact["updatedAt"]
    )
    assert await Contact.count() == 1


async def test_delete_unknown_company_is_not_found(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(client, DELETE, {"id": "00000000-0000-0000-0000-000000000000"})
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_companies_filtered_by_text_and_updated_since(client: httpx.AsyncClient) -> None:
    acme = await create_company(client, name="Acme Ltd")
    await create_company(client, name="Initech")
    later = await create_company(client, name="ACME Widgets")
    query = "query($filter: CompanyFilter) { companies(filter: $filter) { nodes { name } } }"
    data = await gql(client, query, {"filter": {"text": "acme"}})
    assert [n["name"] for n in data["companies"]["nodes"]] == ["Acme Ltd", "ACME Widgets"]
    data = await gql(client, query, {"filter": {"updatedSince": later["updatedAt"]}})
    assert [n["name"] for n in data["companies"]["nodes"]] == ["ACME Widgets"]
    await update_company(client, acme["id"], address="1 Main St")
    data = await gql(client, query, {"filter": {"updatedSince": later["updatedAt"]}})
    assert [n["name"] for n in data["companies"]["nodes"]] == ["ACME Widgets", "Acme Ltd"]


async def test_companies_text_and_company_name_ignore_case_beyond_ascii(
    client: httpx.AsyncClient,
) -> None:
    oel = await create_company(client, name="Ölwerke Süd")
    await create_company(client, name="Straße & Co")
    query = "query($filter: CompanyFilter) { companies(filter: $filter) { nodes { name } } }"
    data = await gql(client, query, {"filter": {"text": "ÖLWERKE SÜD"}})
    assert [n["name"] for n in data["companies"]["nodes"]] == ["Ölwerke Süd"]
    data = await gql(client, query, {"filter": {"text": "STRASSE"}})
    assert [n["name"] for n in data["companies"]["nodes"]] == ["Straße & Co"]
    contact = await create_contact(client, firstName="Ann", companyName="ÖLWERKE süd")
    assert contact["company"]["id"] == oel["id"]
    assert await Company.count() == 2


COMPANY_NAMES = (
    "query($after: String) { companies(first: 3, after: $after) "
    "{ nodes { name } pageInfo { endCursor hasNextPage } } }"
)


async def test_companies_page_through_all_without_skips_or_repeats(
    client: httpx.AsyncClient,
) -> None:
    names = {f"Company {i}" for i in range(7)}
    for name in sorted(names):
        await create_company(client, name=name)
    pages = await every_page(client, COMPANY_NAMES, connection=["companies"])
    seen = [node["name"] for node in nodes(pages)]
    assert sorted(seen) == sorted(names)
    assert len(seen) == len(names)


async def test_company_contacts_page_per_company(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await create_contact(client, firstName=f"Acme {i}", companyName="Acme")
    await create_contact(client, firstName="Ini", companyName="Initech")
    await create_company(client, name="Empty")
    query = """
    query($after: String) {
      companies { nodes { name contacts(first: 2, after: $after) {
        nodes { firstName } pageInfo { endCursor hasNextPage } } } }
    }
    """
    data = await gql(client, query)
    pages = {node["name"]: node["contacts"] for node in data["companies"]["nodes"]}
    assert [n["firstName"] for n in pages["Acme"]["nodes"]] == ["Acme 0", "Acme 1"]
    assert pages["Acme"]["pageInfo"]["hasNextPage"] is True
    assert [n["firstName"] for n in pages["Initech"]["nodes"]] == ["Ini"]
    assert pages["Initech"]["pageInfo"]["hasNextPage"] is False
    assert pages["Empty"]["nodes"] == []
    company = await Company.objects().where(Company.name == "Acme").first()
    assert company is not None
    data = await gql(
        client,
        "query($id: ID!, $after: String) { company(id: $id) { contacts(first: 2, after: $after) "
        "{ nodes { firstName } pageInfo { hasNextPage } } } }",
        {"id": str(company.id), "after": pages["Acme"]["pageInfo"]["endCursor"]},
    )
    assert data["company"]["contacts"] == {
        "nodes": [{"firstName": "Acme 2"}],
        "pageInfo": {"hasNextPage": False},
    }


BAD_COMPANY_INPUT: list[tuple[dict[str, Any], str, str]] = [
    ({"name": "  "}, "VALIDATION", "name"),
    ({"name": "x" * 201}, "VALIDATION", "name"),
    ({"name": "Acme", "website": "not a web address"}, "VALIDATION", "website"),
    ({"name": "Acme", "address": "x" * 1001}, "VALIDATION", "address"),
    ({"name": "Acme", "ownerId": "00000000-0000-0000-0000-000000000000"}, "NOT_FOUND", "ownerId"),
    ({"name": "Acme", "ownerId": "nope"}, "NOT_FOUND", "ownerId"),
    (
        {"name": "Acme", "phones": [{"number": "+1 212 555 0100"}, {"number": "12ab"}]},
        "VALIDATION",
        "phones.1.number",
    ),
]


@pytest.mark.parametrize(("payload", "code", "field"), BAD_COMPANY_INPUT)
async def test_bad_company_input_on_create_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, payload: dict[str, Any], code: str, field: str
) -> None:
    await create_company(client, name="Existing", phones=[{"number": "+1 415 555 0100"}])
    await assert_refused_unchanged(client, CREATE_COMPANY, {"input": payload}, code, field)


@pytest.mark.parametrize(("payload", "code", "field"), BAD_COMPANY_INPUT)
async def test_bad_company_input_on_update_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, payload: dict[str, Any], code: str, field: str
) -> None:
    company = await create_company(client, name="Existing", phones=[{"number": "+1 415 555 0100"}])
    await assert_refused_unchanged(
        client, UPDATE, {"id": company["id"], "input": payload}, code, field
    )
