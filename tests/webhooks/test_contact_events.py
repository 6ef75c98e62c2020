"""Contact and company webhooks reach a real receiver signed, as GraphQL names the
objects, in order per object, from every door; a rolled-back change sends nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.graphql_client import gql, gql_errors
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import settled
from tests.webhooks.webhook_ops import deliveries, register

CONTACT_EVENTS = ("CONTACT_CREATED", "CONTACT_UPDATED", "CONTACT_DELETED")
COMPANY_EVENTS = ("COMPANY_CREATED", "COMPANY_UPDATED", "COMPANY_DELETED")

CONTACT_FIELDS = """id firstName lastName email jobTitle notes createdAt updatedAt
  company { id } owner { id } phones { id number e164 national kind extension }"""
COMPANY_FIELDS = """id name website address createdAt updatedAt owner { id }
  phones { id number e164 national kind extension }"""

CREATE_COMPANY = f"""mutation($input: CreateCompanyInput!) {{
  createCompany(input: $input) {{ {COMPANY_FIELDS} }} }}"""
UPDATE_COMPANY = f"""mutation($id: ID!, $input: UpdateCompanyInput!) {{
  updateCompany(id: $id, input: $input) {{ {COMPANY_FIELDS} }} }}"""
DELETE_COMPANY = "mutation($id: ID!) { deleteCompany(id: $id) }"
CREATE_CONTACT = f"""mutation($input: CreateContactInput!) {{
  createContact(input: $input) {{ contact {{ {CONTACT_FIELDS} }} }} }}"""
UPDATE_CONTACT = f"""mutation($id: ID!, $input: UpdateContactInput!) {{
  updateContact(id: $id, input: $input) {{ {CONTACT_FIELDS} }} }}"""
DELETE_CONTACT = "mutation($id: ID!) { deleteContact(id: $id) }"
CONTACT = f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"


def as_payload(node: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL answer in the webhook's shape: related objects by id."""
    data = dict(node)
    for relation in ("company", "owner"):
        if relation in data:
            related = data.pop(relation)
            data[f"{relation}Id"] = None if related is None else related["id"]
    return data


def same_moment(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def assert_as_graphql(payload: dict[str, Any], node: dict[str, Any], *but: str) -> None:
    expected = as_payload(node)
    assert payload.keys() == expected.keys()
    for key, value in expected.items():
        if key in but:
            continue
        if key in ("createdAt", "updatedAt"):
            assert same_moment(payload[key], value), key
        else:
            assert payload[key] == value, key


def bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [r.body for r in receiver.delivered if r.body is not None]


async def test_every_contact_and_company_event_arrives_signed_as_graphql_names_it(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, *CONTACT_EVENTS, *COMPANY_EVENTS)
    company = (
        await gql(
            client,
            CREATE_COMPANY,
            {"input": {"name": "Acme", "phones": [{"number": "+12015550100", "kind": "MAIN"}]}},
        )
    )["createCompany"]
    contact = (
        await gql(
            client,
            CREATE_CONTACT,
            {
                "input": {
                    "firstName": "Ada",
                    "companyId": company["id"],
                    "phones": [{"number": "+1 201 555 0123 ext. 7", "kind": "MOBILE"}],
                }
            },
        )
    )["createContact"]["contact"]
    changed = (
        await gql(client, UPDATE_CONTACT, {"id": contact["id"], "input": {"jobTitle": "CTO"}})
    )["updateContact"]
    renamed = (
        await gql(client, UPDATE_COMPANY, {"id": company["id"], "input": {"name": "Acme Inc"}})
    )["updateCompany"]
    await gql(client, DELETE_CONTACT, {"id": contact["id"]})
    await gql(client, DELETE_COMPANY, {"id": company["id"]})

    await receiver.wait_for(6)
    await settled(client, 6, "DELIVERED")
    got = bodies(receiver)
    assert all(r.verified for r in receiver.requests)
    of_contact = [b for b in got if b["type"].startswith("contact.")]
    of_company = [b for b in got if b["type"].startswith("company.")]
    assert [b["type"] for b in of_contact] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]
    assert [b["type"] for b in of_company] == [
        "company.created",
        "company.updated",
        "company.deleted",
    ]
    assert_as_graphql(of_contact[0]["data"], contact)
    assert_as_graphql(of_contact[1]["data"], changed)
    # As it was when deleted: the company's new name moved its `updatedAt`.
    assert_as_graphql(of_contact[2]["data"], changed, "updatedAt")
    assert_as_graphql(of_company[0]["data"], company)
    assert_as_graphql(of_company[1]["data"], renamed)
    assert of_company[2]["data"]["id"] == company["id"]
    assert of_company[2]["data"]["name"] == "Acme Inc"
    assert of_contact[0]["data"]["phones"][0]["extension"] == "7"
    assert all(b["timestamp"] for b in got)


async def test_the_events_of_one_contact_arrive_in_order_despite_retries(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, *CONTACT_EVENTS)
    receiver.answers = [503] * 4
    made = await gql(client, CREATE_CONTACT, {"input": {"firstName": "Bo"}})
    contact_id = made["createContact"]["contact"]["id"]
    for n in range(5):
        await gql(client, UPDATE_CONTACT, {"id": contact_id, "input": {"notes": f"note {n}"}})
    await receiver.wait_for(6)
    got = bodies(receiver)
    assert [b["data"].get("notes") for b in got] == [None] + [f"note {n}" for n in range(5)]
    ids = [r.webhook_id for r in receiver.delivered]
    assert len(ids) == len(set(ids)) == 6


async def test_a_rolled_back_change_writes_no_webhook(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, *CONTACT_EVENTS, *COMPANY_EVENTS)
    # The company named is made first in the contact's transaction; the unknown owner
    # then fails it, and both go.
    errors = await gql_errors(
        client,
        CREATE_CONTACT,
        {
            "input": {
                "firstName": "Cy",
                "companyName": "Never Inc",
                "ownerId": "00000000-0000-4000-8000-000000000000",
            }
        },
    )
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    made = await gql(client, CREATE_CONTACT, {"input": {"firstName": "Di"}})
    contact_id = made["createContact"]["contact"]["id"]
    errors = await gql_errors(
        client, UPDATE_CONTACT, {"id": contact_id, "input": {"firstName": "", "phones": []}}
    )
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    written = await deliveries(client)
    assert [d["eventType"] for d in written] == ["CONTACT_CREATED"]
    await receiver.wait_for(1)
    assert [b["data"]["firstName"] for b in bodies(receiver)] == ["Di"]


async def test_a_contact_named_company_is_created_and_told(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, "COMPANY_CREATED")
    await gql(client, CREATE_CONTACT, {"input": {"firstName": "Ed", "companyName": "Newco"}})
    got = await receiver.wait_for(1)
    assert got[0].body is not None
    assert got[0].body["type"] == "company.created"
    assert got[0].body["data"]["name"] == "Newco"


async def test_a_deleted_company_tells_its_contacts_they_left_it(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    company = (await gql(client, CREATE_COMPANY, {"input": {"name": "Gone"}}))["createCompany"]
    made = await gql(
        client, CREATE_CONTACT, {"input": {"firstName": "Fay", "companyId": company["id"]}}
    )
    contact_id = made["createContact"]["contact"]["id"]
    _, receiver.secret = await register(client, receiver.url, "CONTACT_UPDATED")
    await gql(client, DELETE_COMPANY, {"id": company["id"]})
    got = await receiver.wait_for(1)
    assert got[0].body is not None
    now = (await gql(client, CONTACT, {"id": contact_id}))["contact"]
    assert now["company"] is None
    assert_as_graphql(got[0].body["data"], now)


async def test_the_ringotel_contact_hooks_send_contact_events(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    _, receiver.secret = await register(client, receiver.url, *CONTACT_EVENTS, "COMPANY_CREATED")
    created = await client.post(
        "/ringotel/v1/contacts",
        json={"firstname": "Gil", "phone": "+12015550177", "company_name": "Hookco"},
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    changed = await client.patch(f"/ringotel/v1/contacts/{contact_id}", json={"lastname": "Ray"})
    assert changed.status_code < 300, changed.text
    await receiver.wait_for(3)
    got = bodies(receiver)
    # One contact's events in order; another object's may come between them.
    mine = [b for b in got if b["type"].startswith("contact.")]
    assert [b["type"] for b in mine] == ["contact.created", "contact.updated"]
    assert [b["data"]["name"] for b in got if b["type"] == "company.created"] == ["Hookco"]
    assert mine[0]["data"]["phones"][0]["e164"] == "+12015550177"
    assert mine[1]["data"]["lastName"] == "Ray"
    assert mine[1]["data"]["id"] == contact_id
