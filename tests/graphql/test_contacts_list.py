"""The contacts list: text, owner, company and updatedSince filters, and keyset paging that
serves as an incremental sync.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.graphql.crm_records import (
    create_company,
    create_contact,
    create_user,
    update_company,
    update_contact,
)
from tests.graphql_client import every_page, gql, gql_errors, nodes

LIST = """
query($filter: ContactFilter, $first: Int, $after: String) {
  contacts(filter: $filter, first: $first, after: $after) {
    nodes { id firstName lastName updatedAt }
    pageInfo { endCursor hasNextPage }
  }
}
"""


async def names(client: httpx.AsyncClient, **filter: Any) -> list[str]:
    data = await gql(client, LIST, {"filter": filter})
    return [f"{n['firstName']} {n['lastName']}".strip() for n in data["contacts"]["nodes"]]


async def all_pages(client: httpx.AsyncClient, first: int, **filter: Any) -> list[dict[str, Any]]:
    pages = await every_page(
        client, LIST, {"filter": filter, "first": first}, connection=["contacts"]
    )
    assert pages[-1]["pageInfo"]["endCursor"] is None
    return nodes(pages)


async def test_text_matches_first_last_and_full_name_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    await create_contact(client, firstName="Ann", lastName="Lee")
    await create_contact(client, firstName="Joanna", lastName="Smith")
    await create_contact(client, firstName="Bob", lastName="Annesley")
    assert await names(client, text="ANN") == ["Ann Lee", "Joanna Smith", "Bob Annesley"]
    assert await names(client, text="ann lee") == ["Ann Lee"]
    assert await names(client, text="smith") == ["Joanna Smith"]


async def test_text_matches_email_and_company_name(client: httpx.AsyncClient) -> None:
    await create_contact(client, firstName="Ann", email="ann@globex.example")
    await create_contact(client, firstName="Bob", companyName="Globex Corporation")
    await create_contact(client, firstName="Cy", companyName="Initech")
    assert await names(client, text="GLOBEX") == ["Ann", "Bob"]
    assert await names(client, text="initech") == ["Cy"]


async def test_text_ignores_case_beyond_ascii_in_names_emails_and_company_names(
    client: httpx.AsyncClient,
) -> None:
    await create_contact(client, firstName="Ärne", lastName="Öberg")
    await create_contact(client, firstName="Σωκράτης", email="ÉLODIE@example.com")
    await create_contact(client, firstName="Jürgen", companyName="STRASSE Bau")
    await create_contact(client, firstName="Ida", companyName="Müller & Söhne")
    assert await names(client, text="ärne ö") == ["Ärne Öberg"]
    assert await names(client, text="ÖBERG") == ["Ärne Öberg"]
    assert await names(client, text="ΣΩΚΡΆΤΗΣ") == ["Σωκράτης"]
    assert await names(client, text="élodie@") == ["Σωκράτης"]
    assert await names(client, text="straße") == ["Jürgen"]
    assert await names(client, text="MÜLLER") == ["Ida"]
    # The same letter composed or as a base letter with a combining accent.
    assert await names(client, text="mu\u0308ller") == ["Ida"]


async def test_text_finds_a_renamed_company_s_contacts_by_the_new_name_only(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, firstName="Ann", companyName="Acme")
    await update_company(client, contact["company"]["id"], name="Ölwerke Nord")
    assert await names(client, text="ÖLWERKE") == ["Ann"]
    assert await names(client, text="acme") == []


async def test_text_finds_a_contact_by_its_changed_name_and_email_only(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, firstName="Ann", email="ann@example.com")
    await update_contact(client, contact["id"], firstName="Ängla", email="ANGLA@example.com")
    assert await names(client, text="ÄNGLA") == ["Ängla"]
    assert await names(client, text="angla@") == ["Ängla"]
    assert await names(client, text="ann") == []


async def test_text_takes_like_wildcards_literally(client: httpx.AsyncClient) -> None:
    await create_contact(client, firstName="Ann", companyName="100% Organic")
    await create_contact(client, firstName="Bob", email="bob_smith@example.com")
    await create_contact(client, firstName="Cy", email="cyxsmith@example.com")
    assert await names(client, text="%") == ["Ann"]
    assert await names(client, text="b_s") == ["Bob"]
    assert await names(client, text="_") == ["Bob"]


async def test_owner_and_company_filters(client: httpx.AsyncClient) -> None:
    owner = await create_user(client)
    company = await create_company(client, name="Acme")
    await create_contact(client, firstName="Ann", ownerId=owner)
    await create_contact(client, firstName="Bob", companyId=company["id"])
    await create_contact(client, firstName="Cy", ownerId=owner, companyId=company["id"])
    assert await names(client, ownerId=owner) == ["Ann", "Cy"]
    assert await names(client, companyId=company["id"]) == ["Bob", "Cy"]
    assert await names(client, ownerId=owner, companyId=company["id"]) == ["Cy"]
    assert await names(client, ownerId="00000000-0000-0000-0000-000000000000") == []


async def test_paging_visits_every_contact_once_in_updated_order(
    client: httpx.AsyncClient,
) -> None:
    created = [await create_contact(client, firstName=f"C{i}") for i in range(11)]
    for first in (1, 3, 11, 50):
        seen = await all_pages(client, first)
        assert [n["id"] for n in seen] == [c["id"] for c in created], first


async def test_a_contact_changed_while_paging_comes_again_at_the_end(
    client: httpx.AsyncClient,
) -> None:
    created = [await create_contact(client, firstName=f"C{i}") for i in range(5)]
    data = await gql(client, LIST, {"first": 2})
    first_page = [n["id"] for n in data["contacts"]["nodes"]]
    await gql(
        client,
        'mutation($id: ID!) { updateContact(id: $id, input: {notes: "called"}) { id } }',
        {"id": created[0]["id"]},
    )
    rest: list[str] = []
    after = data["contacts"]["pageInfo"]["endCursor"]
    while after is not None:
        page = await gql(client, LIST, {"first": 2, "after": after})
        rest += [n["id"] for n in page["contacts"]["nodes"]]
        after = page["contacts"]["pageInfo"]["endCursor"]
    assert first_page == [created[0]["id"], created[1]["id"]]
    assert rest == [c["id"] for c in created[2:]] + [created[0]["id"]]


async def test_updated_since_returns_what_changed_at_or_after_that_moment(
    client: httpx.AsyncClient,
) -> None:
    old = await create_contact(client, firstName="Old")
    mark = await create_contact(client, firstName="Mark")
    await create_contact(client, firstName="New")
    assert await names(client, updatedSince=mark["updatedAt"]) == ["Mark", "New"]
    await gql(
        client,
        'mutation($id: ID!) { updateContact(id: $id, input: {lastName: "Changed"}) { id } }',
        {"id": old["id"]},
    )
    assert await names(client, updatedSince=mark["updatedAt"]) == ["Mark", "New", "Old Changed"]
    seen = await all_pages(client, 1, updatedSince=mark["updatedAt"])
    assert [n["firstName"] for n in seen] == ["Mark", "New", "Old"]


async def test_bad_paging_arguments_are_validation_errors(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"first": 0}, "limit"),
        ({"after": "not-a-cursor"}, "cursor"),
        ({"after": "WyJ4IiwieSJd"}, "cursor"),  # a well-formed cursor with a bad position
    ]
    for variables, field in cases:
        errors = await gql_errors(client, LIST, variables)
        assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}, variables


async def test_bad_filter_values_name_the_field(client: httpx.AsyncClient) -> None:
    for filter, code, field in [
        ({"text": "x" * 201}, "VALIDATION", "text"),
        ({"ownerId": "nope"}, "NOT_FOUND", "ownerId"),
        ({"companyId": "nope"}, "NOT_FOUND", "companyId"),
    ]:
        errors = await gql_errors(client, LIST, {"filter": filter})
        assert errors[0]["extensions"] == {"code": code, "field": field}, filter


async def test_a_malformed_updated_since_is_a_validation_error_naming_the_variable(
    client: httpx.AsyncClient,
) -> None:
    errors = await gql_errors(client, LIST, {"filter": {"updatedSince": "last tuesday"}})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "filter"}
    assert "updatedSince" in errors[0]["message"]


async def test_text_pages_on_past_the_first_page(client: httpx.AsyncClient) -> None:
    company = await create_company(client, name="Pager Works")
    created = [await create_contact(client, firstName="Pager", lastName=f"P{i}") for i in range(4)]
    created.append(await create_contact(client, firstName="Staff", companyId=company["id"]))
    await create_contact(client, firstName="Other")
    seen: list[str] = []
    after = None
    for _ in range(len(created)):  # bounded: a cursor that does not move must fail, not hang
        data = await gql(client, LIST, {"filter": {"text": "pager"}, "first": 2, "after": after})
        seen += [n["id"] for n in data["contacts"]["nodes"]]
        after = data["contacts"]["pageInfo"]["endCursor"]
        if after is None:
            break
    assert seen == [c["id"] for c in created]
