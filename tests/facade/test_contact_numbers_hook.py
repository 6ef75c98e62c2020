"""CreateContact and FindContact read numbers by one rule: an internal extension never
matches and never merges two people, and a number too short to be one is refused."""

from __future__ import annotations

import httpx
import pytest

from crm.tables import Contact

CONTACTS = "/ringotel/v1/contacts"


async def test_two_callers_sharing_an_extension_length_number_are_two_contacts(
    client: httpx.AsyncClient,
) -> None:
    ann = await client.post(CONTACTS, json={"firstname": "Ann", "phone": "4321"})
    bob = await client.post(CONTACTS, json={"firstname": "Bob", "phone": "4321"})
    assert (ann.status_code, bob.status_code) == (201, 201), (ann.text, bob.text)
    assert ann.json()["id"] != bob.json()["id"]
    found = await client.get(CONTACTS + "/lookup", params={"phone": "4321"})
    assert found.status_code == 200
    assert found.json() == {"records": []}


async def test_a_real_number_still_finds_the_first_contact(client: httpx.AsyncClient) -> None:
    ann = await client.post(CONTACTS, json={"firstname": "Ann", "phone": "+1 201 555 0123"})
    again = await client.post(CONTACTS, json={"firstname": "Ann", "phone": "12015550123"})
    assert (ann.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == ann.json()["id"]


@pytest.mark.parametrize(("field", "number"), [("phone", "0"), ("phone", "12"), ("mobile", "123")])
async def test_a_number_too_short_is_a_422_naming_its_field(
    client: httpx.AsyncClient, field: str, number: str
) -> None:
    response = await client.post(CONTACTS, json={"firstname": "Ann", field: number})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert await Contact.count() == 0


async def test_find_contact_with_a_short_number_is_an_empty_answer(
    client: httpx.AsyncClient,
) -> None:
    for number in ("0", "12", "101"):
        found = await client.get(CONTACTS + "/lookup", params={"phone": number})
        assert (found.status_code, found.json()) == (200, {"records": []}), number
