"""lookupContacts through /graphql, over contacts and companies written by the real mutations."""

from __future__ import annotations

from typing import Any

import httpx

from tests.graphql.crm_records import create_company, create_contact
from tests.graphql_client import gql, gql_errors

LOOKUP = """
query Lookup($phone: String!) {
  lookupContacts(phone: $phone) {
    entity match number kind mainLine
    contact { id firstName company { id name } }
    company { id name }
  }
}
"""


async def lookup(client: httpx.AsyncClient, phone: str) -> list[dict[str, Any]]:
    data = await gql(client, LOOKUP, {"phone": phone})
    matches: list[dict[str, Any]] = data["lookupContacts"]
    return matches


def who(matches: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    """Each match as (entity, id of the contact or company, tier, main line)."""
    return [
        (
            m["entity"],
            (m["contact"] if m["entity"] == "CONTACT" else m["company"])["id"],
            m["match"],
            m["mainLine"],
        )
        for m in matches
    ]


async def test_lookup_contacts_finds_a_contact_by_digits_with_country_code(
    client: httpx.AsyncClient,
) -> None:
    acme = await create_company(client, name="Acme")
    ann = await create_contact(
        client,
        firstName="Ann",
        companyId=acme["id"],
        phones=[{"number": "+1 (415) 555-0100", "kind": "MOBILE"}],
    )
    matches = await lookup(client, "14155550100")
    assert matches == [
        {
            "entity": "CONTACT",
            "match": "E164",
            "number": "+1 (415) 555-0100",
            "kind": "MOBILE",
            "mainLine": False,
            "contact": {
                "id": ann["id"],
                "firstName": "Ann",
                "company": {"id": acme["id"], "name": "Acme"},
            },
            "company": {"id": acme["id"], "name": "Acme"},
        }
    ]


async def test_lookup_contacts_lists_a_main_line_company_first_then_its_staff(
    client: httpx.AsyncClient,
) -> None:
    acme = await create_company(
        client, name="Acme", phones=[{"number": "+44 20 7946 0000", "kind": "MAIN"}]
    )
    staff = [
        await create_contact(
            client,
            firstName=name,
            companyId=acme["id"],
            phones=[{"number": "020 7946 0000", "kind": "WORK"}, {"number": f"+44 7700 90012{i}"}],
        )
        for i, name in enumerate(["Bea", "Cal"])
    ]
    matches = await lookup(client, "+44 20 7946 0000")
    assert who(matches)[0] == ("COMPANY", acme["id"], "E164", True)
    # Staff wrote the line without its country (the CRM's region is US): still the same line.
    expected = sorted(("CONTACT", s["id"], "NATIONAL", True) for s in staff)
    assert sorted(who(matches)[1:]) == expected
    assert {m["company"]["name"] for m in matches} == {"Acme"}


async def test_lookup_contacts_of_an_unknown_number_is_empty(client: httpx.AsyncClient) -> None:
    await create_contact(client, firstName="Ann", phones=[{"number": "+1 415 555 0100"}])
    assert await lookup(client, "+1 415 555 0199") == []
    assert await lookup(client, "101") == []  # an internal extension


async def test_lookup_contacts_of_text_that_is_no_number_names_the_phone_argument(
    client: httpx.AsyncClient,
) -> None:
    for phone in ["not a number", "", "+"]:
        errors = await gql_errors(client, LOOKUP, {"phone": phone})
        assert errors[0]["extensions"]["code"] == "VALIDATION"
        assert errors[0]["extensions"]["field"] == "phone"


async def test_lookup_contacts_sees_each_write_at_the_next_lookup(
    client: httpx.AsyncClient,
) -> None:
    ann = await create_contact(client, firstName="Ann", phones=[{"number": "+1 415 555 0100"}])
    assert who(await lookup(client, "(415) 555-0100")) == [("CONTACT", ann["id"], "E164", False)]

    update = "mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { id } }"  # noqa: E501
    await gql(
        client, update, {"id": ann["id"], "input": {"phones": [{"number": "+1 415 555 0199"}]}}
    )
    assert await lookup(client, "(415) 555-0100") == []
    assert who(await lookup(client, "(415) 555-0199")) == [("CONTACT", ann["id"], "E164", False)]

    acme = await create_company(client, name="Acme", phones=[{"number": "+1 415 555 0199"}])
    assert [m["entity"] for m in await lookup(client, "(415) 555-0199")] == ["CONTACT", "COMPANY"]

    await gql(client, "mutation($id: ID!) { deleteContact(id: $id) }", {"id": ann["id"]})
    assert who(await lookup(client, "(415) 555-0199")) == [("COMPANY", acme["id"], "E164", False)]

    await gql(client, "mutation($id: ID!) { deleteCompany(id: $id) }", {"id": acme["id"]})
    assert await lookup(client, "(415) 555-0199") == []


async def test_lookup_contacts_serves_the_matched_rows_like_the_contact_query(
    client: httpx.AsyncClient,
) -> None:
    acme = await create_company(client, name="Acme", phones=[{"number": "+1 415 555 0100"}])
    ann = await create_contact(
        client, firstName="Ann", companyId=acme["id"], phones=[{"number": "+1 415 555 0100"}]
    )
    fields = "id firstName createdAt updatedAt phones { e164 kind } company { id name }"
    data = await gql(
        client,
        f"query($phone: String!, $id: ID!) {{ contact(id: $id) {{ {fields} }}"
        f" lookupContacts(phone: $phone) {{ contact {{ {fields} }}"
        " company { id createdAt } } }",
        {"phone": "+14155550100", "id": ann["id"]},
    )
    company, contact = data["lookupContacts"]  # the company's main line, then its staff
    assert company["company"] == {"id": acme["id"], "createdAt": acme["createdAt"]}
    assert contact["contact"] == data["contact"]


async def test_lookup_contacts_lists_every_number_of_each_matched_contact_in_order(
    client: httpx.AsyncClient,
) -> None:
    acme = await create_company(client, name="Acme", phones=[{"number": "+1 415 555 0100"}])
    ann = await create_contact(
        client,
        firstName="Ann",
        companyId=acme["id"],
        phones=[
            {"number": "+44 20 7946 0018", "kind": "HOME"},
            {"number": "+1 415 555 0100"},
            {"number": "+1 415 555 0123 x12", "kind": "MOBILE"},
        ],
    )
    bob = await create_contact(client, firstName="Bob", phones=[{"number": "+1 415 555 0100"}])
    fields = "id phones { id number e164 national kind extension }"
    found = await gql(
        client,
        f"query($phone: String!) {{ lookupContacts(phone: $phone) {{ contact {{ {fields} }} }} }}",
        {"phone": "+14155550100"},
    )
    for person in (ann, bob):
        alone = await gql(
            client, f"query($id: ID!) {{ contact(id: $id) {{ {fields} }} }}", {"id": person["id"]}
        )
        matched = [m["contact"] for m in found["lookupContacts"] if m["contact"]]
        assert [c for c in matched if c["id"] == person["id"]] == [alone["contact"]]
    assert len(alone["contact"]["phones"]) == 1
    ann_phones = next(c for c in matched if c["id"] == ann["id"])["phones"]
    assert [p["number"] for p in ann_phones] == [
        "+44 20 7946 0018",
        "+1 415 555 0100",
        "+1 415 555 0123 x12",
    ]


STAFF = """
query Staff($phone: String!) {
  lookupContacts(phone: $phone) { entity mainLine staff(first: 10) { firstName } }
}
"""


async def test_a_main_line_match_lists_the_company_staff(client: httpx.AsyncClient) -> None:
    company = await create_company(
        client, name="Initech", phones=[{"number": "+12015550199", "kind": "MAIN"}]
    )
    for name in ("Peter", "Milton"):
        await create_contact(client, firstName=name, companyId=company["id"])
    data = await gql(client, STAFF, {"phone": "+1 201 555 0199"})
    [match] = data["lookupContacts"]
    assert match["entity"] == "COMPANY"
    assert match["mainLine"] is True
    assert sorted(c["firstName"] for c in match["staff"]) == ["Milton", "Peter"]


async def test_a_contact_match_lists_no_staff(client: httpx.AsyncClient) -> None:
    company = await create_company(client, name="Initech")
    await create_contact(client, firstName="Bill", companyId=company["id"])
    await create_contact(
        client,
        firstName="Peter",
        companyId=company["id"],
        phones=[{"number": "+12015550101", "kind": "MOBILE"}],
    )
    data = await gql(client, STAFF, {"phone": "+12015550101"})
    assert data["lookupContacts"] == [{"entity": "CONTACT", "mainLine": False, "staff": []}]


async def test_a_shared_main_line_lists_its_sharers_as_matches_not_as_staff(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(
        client, name="Initech", phones=[{"number": "+12015550199", "kind": "MAIN"}]
    )
    await create_contact(
        client,
        firstName="Peter",
        companyId=company["id"],
        phones=[{"number": "+12015550199", "kind": "WORK"}],
    )
    await create_contact(client, firstName="Milton", companyId=company["id"])
    data = await gql(client, STAFF, {"phone": "+12015550199"})
    assert data["lookupContacts"] == [
        {"entity": "COMPANY", "mainLine": True, "staff": []},
        {"entity": "CONTACT", "mainLine": True, "staff": []},
    ]
