"""The contact hooks: Contacts, CreateContact (and its retries), UpdateContact; bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm.tables import Company, Contact, PhoneNumber
from tests.facade.seed import make_user

CONTACTS = "/ringotel/v1/contacts"


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(CONTACTS, json=body)


async def numbers(contact_id: str) -> list[tuple[str, str | None]]:
    rows = await PhoneNumber.objects().where(PhoneNumber.contact == uuid.UUID(contact_id))
    return sorted((row.kind, row.e164) for row in rows)


async def test_create_contact_with_company_and_numbers_answers_201(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_user(client, "owner@example.com")
    response = await create(
        client,
        firstname="Carol",
        lastname="Caller",
        email="Carol@Example.com",
        phone="+1 (201) 555-0123",
        mobile=12015550199,
        company_name="Acme",
        job_title="Buyer",
        user_id=owner["id"],
    )
    assert response.status_code == 201, response.text
    contact_id = response.json()["id"]
    listed = (await client.get(CONTACTS)).json()
    assert listed["records"] == [
        {
            "id": contact_id,
            "firstname": "Carol",
            "lastname": "Caller",
            "email": "carol@example.com",
            "phone": "+12015550123",
            "mobile": "+12015550199",
            "company": {"id": listed["records"][0]["company"]["id"], "name": "Acme"},
            "job_title": "Buyer",
            "updated_at": listed["records"][0]["updated_at"],
        }
    ]
    assert listed["next_cursor"] is None
    assert await Company.count() == 1


async def test_create_contact_reads_unfilled_placeholders_as_absent(
    client: httpx.AsyncClient,
) -> None:
    response = await create(
        client,
        firstname="Dan",
        lastname="$lastname$",
        email="",
        phone="$phone$",
        mobile=None,
        company_name="$company_name$",
        job_title="$job_title$",
        user_id="$user_id$",
    )
    assert response.status_code == 201, response.text
    contact = await Contact.objects().first()
    assert contact is not None
    assert (contact.first_name, contact.last_name) == ("Dan", "")
    assert not contact.email
    assert not contact.company
    assert not contact.owner
    assert not contact.job_title
    assert await PhoneNumber.count() == 0


async def test_create_contact_with_a_known_number_or_email_answers_200_with_that_contact(
    client: httpx.AsyncClient,
) -> None:
    first = await create(client, firstname="Carol", phone="+12015550123", email="c@example.com")
    by_phone = await create(client, firstname="Carol again", phone="1 201 555 0123")
    by_email = await create(client, firstname="C.", email="C@example.com")
    assert first.status_code == 201
    assert (by_phone.status_code, by_phone.json()["id"]) == (200, first.json()["id"])
    assert (by_email.status_code, by_email.json()["id"]) == (200, first.json()["id"])
    assert await Contact.count() == 1


async def test_create_contact_refuses_bad_input_naming_the_request_field(
    client: httpx.AsyncClient,
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "firstname"),
        ({"firstname": "$firstname$", "phone": ""}, "firstname"),
        ({"firstname": "Ann", "email": "not-an-email"}, "email"),
        ({"firstname": "Ann", "phone": "call me maybe"}, "phone"),
        ({"firstname": "Ann", "phone": "+12015550123", "mobile": "no"}, "mobile"),
        ({"firstname": "Ann", "mobile": "no"}, "mobile"),
        ({"firstname": "x" * 101}, "firstname"),
        ({"firstname": "Ann", "user_id": str(uuid.uuid4())}, "user_id"),
        ({"firstname": ["Ann"]}, "firstname"),
    ]
    for body, field in cases:
        response = await create(client, **body)
        assert response.status_code in {400, 404, 422}, (body, response.text)
        assert response.json()["field"] == field, (body, response.json())
    assert await Contact.count() == 0
    assert await Company.count() == 0


async def test_update_contact_changes_only_what_was_sent(client: httpx.AsyncClient) -> None:
    created = await create(
        client, firstname="Carol", lastname="Caller", phone="+12015550123", mobile="+12015550199"
    )
    contact_id = created.json()["id"]
    response = await client.patch(
        f"{CONTACTS}/{contact_id}",
        json={"lastname": "Smith", "phone": "+1 201 555 0144", "email": "$email$", "mobile": ""},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": contact_id}
    contact = await Contact.objects().where(Contact.id == uuid.UUID(contact_id)).first()
    assert contact is not None
    assert (contact.first_name, contact.last_name) == ("Carol", "Smith")
    # the new work number replaced the old one; the mobile number stayed
    assert await numbers(contact_id) == [("mobile", "+12015550199"), ("work", "+12015550144")]


async def test_update_contact_mobile_keeps_the_work_number(client: httpx.AsyncClient) -> None:
    contact_id = (await create(client, firstname="Carol", phone="+12015550123")).json()["id"]
    response = await client.patch(f"{CONTACTS}/{contact_id}", json={"mobile": "+12015550188"})
    assert response.status_code == 200, response.text
    assert await numbers(contact_id) == [("mobile", "+12015550188"), ("work", "+12015550123")]


async def test_update_contact_refuses_unknown_ids_and_bad_values(
    client: httpx.AsyncClient,
) -> None:
    for contact_id in (str(uuid.uuid4()), "nope"):
        response = await client.patch(f"{CONTACTS}/{contact_id}", json={"firstname": "X"})
        assert response.status_code == 404, response.text
        assert response.json()["field"] == "contact_id"
    contact_id = (await create(client, firstname="Carol")).json()["id"]
    for body, field in [({"email": "nope"}, "email"), ({"mobile": "nope"}, "mobile")]:
        response = await client.patch(f"{CONTACTS}/{contact_id}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field


async def test_contacts_pages_and_syncs_by_updated_since(client: httpx.AsyncClient) -> None:
    ids = [(await create(client, firstname=f"C{i}")).json()["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await client.get(CONTACTS, params=params)).json()
        seen += [record["id"] for record in body["records"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)

    later = datetime.now(UTC) + timedelta(seconds=1)
    await Contact.update({Contact.updated_at: later + timedelta(seconds=1)}).where(
        Contact.id == uuid.UUID(ids[0])
    )
    for since in (
        str(int(later.timestamp() * 1000)),
        str(int(later.timestamp())),
        later.isoformat(),
    ):
        body = (await client.get(CONTACTS, params={"updated_since": since})).json()
        assert [record["id"] for record in body["records"]] == [ids[0]], since


async def test_contacts_refuses_a_bad_updated_since_by_name(client: httpx.AsyncClient) -> None:
    response = await client.get(CONTACTS, params={"updated_since": "last week"})
    assert response.status_code == 422
    assert response.json()["field"] == "updated_since"
