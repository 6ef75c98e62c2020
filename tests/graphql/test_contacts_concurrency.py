"""Contacts under concurrent writes through /graphql: retried creates that race, and
simultaneous edits of one contact.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from crm.tables import Company, Contact, PhoneNumber
from tests.graphql.crm_records import (
    CONTACT_FIELDS,
    UPDATE_CONTACT,
    create_contact,
    create_matching,
    create_user,
    update_contact,
)
from tests.graphql_client import gql

RETRIES = 20
GET_CONTACT = f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"


async def test_simultaneous_matching_creates_with_one_number_make_one_contact(
    client: httpx.AsyncClient,
) -> None:
    notations = ["+1 212 555 0123", "(212) 555-0123", "1-212-555-0123", "+12125550123"]
    results = await asyncio.gather(
        *(
            create_matching(
                client,
                {"firstName": f"Caller {n}", "phones": [{"number": notations[n % 4]}]},
            )
            for n in range(RETRIES)
        )
    )
    rows = await Contact.select(Contact.id)
    assert [str(row["id"]) for row in rows] == [result["contact"]["id"] for result in results][:1]
    assert {result["contact"]["id"] for result in results} == {str(rows[0]["id"])}
    assert await PhoneNumber.count() == 1
    assert [result["created"] for result in results].count(True) == 1


async def test_simultaneous_matching_creates_with_one_email_make_one_contact(
    client: httpx.AsyncClient,
) -> None:
    results = await asyncio.gather(
        *(
            create_matching(client, {"email": "Ann@Example.com" if n % 2 else "ann@example.com"})
            for n in range(RETRIES)
        )
    )
    assert await Contact.count() == 1
    assert len({result["contact"]["id"] for result in results}) == 1
    assert [result["created"] for result in results].count(True) == 1


async def test_simultaneous_matching_creates_sharing_numbers_in_any_order_make_one_contact(
    client: httpx.AsyncClient,
) -> None:
    """Each create holds two numbers, given in either order; locks taken in a fixed order
    cannot deadlock, and every create ends on the one contact.
    """
    numbers = [{"number": "+44 20 7946 0018"}, {"number": "+49 30 901820"}]
    results = await asyncio.gather(
        *(
            create_matching(client, {"phones": numbers if n % 2 else numbers[::-1]})
            for n in range(RETRIES)
        )
    )
    assert await Contact.count() == 1
    assert len({result["contact"]["id"] for result in results}) == 1


async def test_simultaneous_updates_of_different_fields_all_stay(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_user(client)
    created = await create_contact(
        client, firstName="Ann", lastName="Lee", phones=[{"number": "+1 212 555 0123"}]
    )
    changes: list[dict[str, Any]] = [
        {"firstName": "Anne"},
        {"lastName": "Smith"},
        {"email": "anne@example.com"},
        {"jobTitle": "Buyer"},
        {"notes": "Prefers mornings."},
        {"companyName": "Acme"},
        {"ownerId": owner},
        {"phones": [{"number": "+44 20 7946 0018", "kind": "MOBILE"}]},
    ]
    await asyncio.gather(*(update_contact(client, created["id"], **c) for c in changes))
    contact = (await gql(client, GET_CONTACT, {"id": created["id"]}))["contact"]
    assert (contact["firstName"], contact["lastName"], contact["email"]) == (
        "Anne",
        "Smith",
        "anne@example.com",
    )
    assert (contact["jobTitle"], contact["notes"]) == ("Buyer", "Prefers mornings.")
    assert contact["company"]["name"] == "Acme"
    assert contact["owner"]["id"] == owner
    assert [phone["e164"] for phone in contact["phones"]] == ["+442079460018"]


async def test_simultaneous_updates_clearing_the_name_and_the_numbers_cannot_both_succeed(
    client: httpx.AsyncClient,
) -> None:
    created = await create_contact(client, firstName="Ann", phones=[{"number": "+1 212 555 0123"}])
    changes: list[dict[str, Any]] = [{"firstName": None}, {"phones": []}]
    responses = await asyncio.gather(
        *(
            client.post(
                "/graphql",
                json={"query": UPDATE_CONTACT, "variables": {"id": created["id"], "input": c}},
            )
            for c in changes
        )
    )
    errors = [error for response in responses for error in response.json().get("errors") or []]
    assert [error["extensions"]["code"] for error in errors] == ["VALIDATION"]
    contact = (await gql(client, GET_CONTACT, {"id": created["id"]}))["contact"]
    assert contact["firstName"] == "Ann" or contact["phones"]


async def test_simultaneous_contacts_naming_one_new_company_share_it(
    client: httpx.AsyncClient,
) -> None:
    results = await asyncio.gather(
        *(
            create_matching(client, {"firstName": f"Person {n}", "companyName": "Brand New Ltd"})
            for n in range(RETRIES)
        )
    )
    assert await Company.count() == 1
    assert len({result["contact"]["company"]["id"] for result in results}) == 1
    assert await Contact.count() == RETRIES
