"""deletedSince through /graphql: deleted contacts and companies, for incremental sync."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm.tables import Deletion
from tests.graphql.crm_records import create_company, create_contact
from tests.graphql_client import every_page, gql, gql_errors, nodes

DELETED = """
query($since: DateTime!, $first: Int, $after: String) {
  deletedSince(since: $since, first: $first, after: $after) {
    nodes { id kind deletedAt }
    pageInfo { endCursor hasNextPage }
  }
}
"""
DELETE_CONTACT = "mutation($id: ID!) { deleteContact(id: $id) }"
DELETE_COMPANY = "mutation($id: ID!) { deleteCompany(id: $id) }"
LONG_AGO = "2000-01-01T00:00:00+00:00"


async def deleted(client: httpx.AsyncClient, since: str, **paging: Any) -> dict[str, Any]:
    data = await gql(client, DELETED, {"since": since, **paging})
    result: dict[str, Any] = data["deletedSince"]
    return result


async def test_deleted_contacts_and_companies_are_listed_oldest_first_with_their_kind(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, firstName="Ann", companyName="Acme")
    kept = await create_contact(client, firstName="Bob")
    await gql(client, DELETE_CONTACT, {"id": contact["id"]})
    await gql(client, DELETE_COMPANY, {"id": contact["company"]["id"]})
    nodes = (await deleted(client, LONG_AGO))["nodes"]
    assert [(n["id"], n["kind"]) for n in nodes] == [
        (contact["id"], "CONTACT"),
        (contact["company"]["id"], "COMPANY"),
    ]
    assert kept["id"] not in {n["id"] for n in nodes}
    # The moment of a deletion is a sync point: asking from it returns it and what followed.
    later = await deleted(client, nodes[1]["deletedAt"])
    assert [n["id"] for n in later["nodes"]] == [contact["company"]["id"]]
    future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (await deleted(client, future))["nodes"] == []


async def test_a_sync_learns_changes_from_updated_since_and_removals_from_deleted_since(
    client: httpx.AsyncClient,
) -> None:
    ann = await create_contact(client, firstName="Ann")
    bob = await create_contact(client, firstName="Bob")
    synced_at = datetime.now(UTC).isoformat()
    await gql(client, DELETE_CONTACT, {"id": ann["id"]})
    await gql(
        client,
        'mutation($id: ID!) { updateContact(id: $id, input: {lastName: "Low"}) { id } }',
        {"id": bob["id"]},
    )
    changed = await gql(
        client,
        "query($s: DateTime) { contacts(filter: {updatedSince: $s}) { nodes { id } } }",
        {"s": synced_at},
    )
    assert [n["id"] for n in changed["contacts"]["nodes"]] == [bob["id"]]
    assert [n["id"] for n in (await deleted(client, synced_at))["nodes"]] == [ann["id"]]


async def test_deletions_page_through_all_once(client: httpx.AsyncClient) -> None:
    ids = [(await create_company(client, name=f"Company {n}"))["id"] for n in range(5)]
    for company_id in ids:
        await gql(client, DELETE_COMPANY, {"id": company_id})
    pages = await every_page(
        client, DELETED, {"since": LONG_AGO, "first": 2}, connection=["deletedSince"]
    )
    seen = [n["id"] for n in nodes(pages)]
    assert seen == ids


async def test_a_refused_delete_records_no_deletion(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(
        client, DELETE_CONTACT, {"id": "00000000-0000-0000-0000-000000000000"}
    )
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    assert await Deletion.count() == 0


async def test_simultaneous_deletes_of_one_contact_delete_it_once(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, firstName="Ann")
    responses = await asyncio.gather(
        *(
            client.post(
                "/graphql", json={"query": DELETE_CONTACT, "variables": {"id": contact["id"]}}
            )
            for _ in range(5)
        )
    )
    bodies = [response.json() for response in responses]
    assert [body["data"] for body in bodies if not body.get("errors")] == [
        {"deleteContact": contact["id"]}
    ]
    codes = [body["errors"][0]["extensions"]["code"] for body in bodies if body.get("errors")]
    assert codes == ["NOT_FOUND"] * 4
    assert [n["id"] for n in (await deleted(client, LONG_AGO))["nodes"]] == [contact["id"]]


async def test_bad_paging_of_deletions_names_the_argument(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(client, DELETED, {"since": LONG_AGO, "first": 0})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "limit"}
    errors = await gql_errors(client, DELETED, {"since": LONG_AGO, "after": "nope"})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "cursor"}


async def test_a_malformed_since_is_a_validation_error_naming_it(
    client: httpx.AsyncClient,
) -> None:
    errors = await gql_errors(client, DELETED, {"since": "yesterday"})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "since"}
    assert "yesterday" in errors[0]["message"]
