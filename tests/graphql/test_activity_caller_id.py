"""A call logged without a contact is linked by the other party's number, when it names
exactly one contact or one company's main line; otherwise it stays unassigned."""

from __future__ import annotations

from typing import Any

import httpx

from tests.graphql.crm_records import create_company, create_contact
from tests.graphql_client import gql

CREATE = """
mutation($input: CreateActivityInput!) {
  createActivity(input: $input) { activity { id contact { id } company { id } callerMatch } }
}
"""


async def log_call(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    payload = {"callId": "call-1", "direction": "INBOUND", "toNumber": "101", **fields}
    data = await gql(client, CREATE, {"input": payload})
    activity: dict[str, Any] = data["createActivity"]["activity"]
    return activity


async def test_inbound_call_from_a_contacts_number_is_linked_to_the_contact(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(client, name="Acme")
    contact = await create_contact(
        client,
        firstName="Cleo",
        companyId=company["id"],
        phones=[{"number": "+44 7700 900123", "kind": "MOBILE"}],
    )
    activity = await log_call(client, fromNumber="+44 7700-900-123")
    assert activity["contact"] == {"id": contact["id"]}
    assert activity["company"] == {"id": company["id"]}
    assert activity["callerMatch"] == "CONTACT_NUMBER"


async def test_outbound_call_to_a_contacts_number_is_linked_to_the_contact(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(
        client, firstName="Cleo", phones=[{"number": "+1 212 555 0147", "kind": "WORK"}]
    )
    activity = await log_call(
        client, direction="OUTBOUND", fromNumber="101", toNumber="(212) 555-0147"
    )
    assert activity["contact"] == {"id": contact["id"]}


async def test_call_from_a_company_main_line_is_linked_to_the_company_only(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(
        client, name="Acme", phones=[{"number": "+1 212 555 0100", "kind": "MAIN"}]
    )
    await create_contact(client, firstName="Reception", companyId=company["id"])
    activity = await log_call(client, fromNumber="+12125550100")
    assert activity["contact"] is None
    assert activity["company"] == {"id": company["id"]}
    assert activity["callerMatch"] == "MAIN_LINE"
    data = await gql(client, "{ activities(filter: {unassigned: true}) { nodes { id } } }")
    assert data["activities"]["nodes"] == [{"id": activity["id"]}]


async def test_number_shared_by_two_contacts_leaves_the_call_unassigned(
    client: httpx.AsyncClient,
) -> None:
    for name in ("Ann", "Bob"):
        await create_contact(
            client, firstName=name, phones=[{"number": "+1 212 555 0199", "kind": "HOME"}]
        )
    activity = await log_call(client, fromNumber="+1 212 555 0199")
    assert activity["contact"] is None
    assert activity["company"] is None
    assert activity["callerMatch"] is None


async def test_unknown_or_hidden_number_leaves_the_call_unassigned(
    client: httpx.AsyncClient,
) -> None:
    await create_contact(
        client, firstName="Cleo", phones=[{"number": "+1 212 555 0147", "kind": "WORK"}]
    )
    for n, number in enumerate(("+1 212 555 0999", "anonymous", None)):
        activity = await log_call(client, callId=f"c{n}", fromNumber=number)
        assert activity["contact"] is None, number


async def test_given_contact_is_kept_whatever_the_number_says(
    client: httpx.AsyncClient,
) -> None:
    await create_contact(
        client, firstName="Cleo", phones=[{"number": "+1 212 555 0147", "kind": "WORK"}]
    )
    chosen = await create_contact(client, firstName="Chosen")
    activity = await log_call(client, fromNumber="+1 212 555 0147", contactId=chosen["id"])
    assert activity["contact"] == {"id": chosen["id"]}
    assert activity["callerMatch"] == "LINKED"  # the number is another contact's


async def test_a_named_contact_whose_own_number_called_says_so(
    client: httpx.AsyncClient,
) -> None:
    cleo = await create_contact(
        client, firstName="Cleo", phones=[{"number": "+1 212 555 0147", "kind": "WORK"}]
    )
    activity = await log_call(client, fromNumber="2125550147", contactId=cleo["id"])
    assert (activity["contact"], activity["callerMatch"]) == ({"id": cleo["id"]}, "CONTACT_NUMBER")


ASSIGN = "mutation($id: ID!, $c: ID!) { assignActivity(id: $id, contactId: $c) { callerMatch } }"


async def test_linking_a_call_later_says_how_the_contact_relates_to_the_number(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(
        client, name="Acme", phones=[{"number": "+1 212 555 0100", "kind": "MAIN"}]
    )
    reception = await create_contact(client, firstName="Reception", companyId=company["id"])
    stranger = await create_contact(client, firstName="Stranger")
    from_line = await log_call(client, callId="line", fromNumber="+12125550100")
    unknown = await log_call(client, callId="unknown", fromNumber="+1 212 555 0999")
    linked = await gql(client, ASSIGN, {"id": from_line["id"], "c": reception["id"]})
    assert linked["assignActivity"]["callerMatch"] == "MAIN_LINE"
    linked = await gql(client, ASSIGN, {"id": unknown["id"], "c": stranger["id"]})
    assert linked["assignActivity"]["callerMatch"] == "LINKED"
