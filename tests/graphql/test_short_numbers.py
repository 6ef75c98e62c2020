"""Numbers too short to be anyone's are refused where numbers are kept, and an internal
extension (no country, at most `internal_extension_max_digits` digits), which FindContact
never matches, never makes two people one contact: one rule for both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from crm.tables import Contact, PhoneNumber, User
from facade.app import create_app
from tests.conftest import full_access_key, make_settings
from tests.graphql_client import gql, gql_errors

CREATE = (
    "mutation($input: CreateContactInput!) { createContact(input: $input, matchExisting: true)"
    " { created contact { id } } }"
)
LOOKUP = "query($phone: String!) { lookupContacts(phone: $phone) { contact { id } } }"


def assert_validation(errors: list[dict[str, Any]], field: str) -> None:
    assert len(errors) == 1, errors
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}, errors


async def create(client: httpx.AsyncClient, name: str, number: str) -> dict[str, Any]:
    data = await gql(client, CREATE, {"input": {"firstName": name, "phones": [{"number": number}]}})
    result: dict[str, Any] = data["createContact"]
    return result


@pytest.mark.parametrize("number", ["0", "12", "123", "+1 2", "00"])
async def test_a_number_too_short_to_be_a_phone_number_is_refused_by_its_place(
    client: httpx.AsyncClient, number: str
) -> None:
    errors = await gql_errors(
        client,
        CREATE,
        {"input": {"firstName": "Ann", "phones": [{"number": "+12015550123"}, {"number": number}]}},
    )
    assert_validation(errors, "phones.1.number")
    assert await Contact.count() == 0
    assert await PhoneNumber.count() == 0


async def test_a_user_s_phone_too_short_is_refused(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(
        client,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        {"input": {"email": "ann@example.com", "password": "correct horse", "phone": "12"}},
    )
    assert_validation(errors, "phone")
    assert await User.count() == 0


@pytest.mark.parametrize("number", ["4321", "43-21", "123456"])
async def test_two_people_who_share_an_extension_length_number_stay_two_contacts(
    client: httpx.AsyncClient, number: str
) -> None:
    ann = await create(client, "Ann", number)
    bob = await create(client, "Bob", "4321" if number != "4321" else "43 21")
    assert ann["created"] is True
    assert bob["created"] is True
    assert ann["contact"]["id"] != bob["contact"]["id"]
    assert await Contact.count() == 2
    # The same rule as lookup's: FindContact never matches such a number either.
    assert (await gql(client, LOOKUP, {"phone": number}))["lookupContacts"] == []


async def test_a_number_long_enough_to_match_still_finds_the_contact(
    client: httpx.AsyncClient,
) -> None:
    ann = await create(client, "Ann", "1234567")
    again = await create(client, "Someone", "123-4567")
    assert again == {"created": False, "contact": ann["contact"]}
    found = await gql(client, LOOKUP, {"phone": "1234567"})
    assert found["lookupContacts"] == [{"contact": ann["contact"]}]


async def test_the_extension_rule_follows_the_setting(tmp_path: Path) -> None:
    """With `internal_extension_max_digits` at 3, a four-digit number is no extension:
    lookup matches it, and the duplicate check merges on it, alike."""
    app: Any = create_app(make_settings(tmp_path, internal_extension_max_digits=3))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        http.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        ann = await create(http, "Ann", "4321")
        again = await create(http, "Someone", "43-21")
        assert again == {"created": False, "contact": ann["contact"]}
        found = await gql(http, LOOKUP, {"phone": "4321"})
        assert found["lookupContacts"] == [{"contact": ann["contact"]}]
        errors = await gql_errors(
            http, CREATE, {"input": {"firstName": "Bob", "phones": [{"number": "321"}]}}
        )
        assert_validation(errors, "phones.0.number")  # too short whatever the setting
