"""What makes a user one user: an email address in one stored form (however it is written,
and never with characters nobody can see), and an extension no other active user has.
Explicit nulls for fields that cannot be empty are refused by name, and nothing is written.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from crm.queries.driver_errors import is_unique_violation
from crm.tables import Activity, Contact, User
from tests.graphql_client import gql, gql_errors

CREATE = """
mutation($input: CreateUserInput!) {
  createUser(input: $input) { id email extension isActive isAdmin }
}
"""
UPDATE = """
mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id email extension isActive isAdmin }
}
"""
PASSWORD = "correct horse"


UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


async def create_user(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    payload = {"email": "ann@example.com", "password": PASSWORD, **fields}
    data = await gql(client, CREATE, {"input": payload})
    user: dict[str, Any] = data["createUser"]
    return user


def assert_error(errors: list[dict[str, Any]], code: str, field: str) -> None:
    assert len(errors) == 1, errors
    assert errors[0]["extensions"]["code"] == code, errors
    assert errors[0]["extensions"]["field"] == field, errors


@pytest.mark.parametrize("field", ["isActive", "isAdmin"])
async def test_create_user_with_null_for_a_flag_is_refused_by_name(
    client: httpx.AsyncClient, field: str
) -> None:
    payload = {"email": "bob@example.com", "password": PASSWORD, field: None}
    errors = await gql_errors(client, CREATE, {"input": payload})
    assert_error(errors, "VALIDATION", field)
    assert await User.count() == 0


@pytest.mark.parametrize("field", ["isActive", "isAdmin", "password", "email"])
async def test_update_user_with_null_for_a_field_that_cannot_be_empty_is_refused_by_name(
    client: httpx.AsyncClient, field: str
) -> None:
    user = await create_user(client)
    before = await User.select().first()
    errors = await gql_errors(client, UPDATE, {"id": user["id"], "input": {field: None}})
    assert_error(errors, "VALIDATION", field)
    assert await User.select().first() == before


@pytest.mark.parametrize(
    "written",
    [
        "\uff21\uff2e\uff2e@example.com",
        "ann@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
        "ANN@EXAMPLE.COM",
        "\uff41nn@example.com",
    ],
)
async def test_an_address_written_another_way_is_the_same_user(
    client: httpx.AsyncClient, written: str
) -> None:
    await create_user(client)
    errors = await gql_errors(client, CREATE, {"input": {"email": written, "password": PASSWORD}})
    assert_error(errors, "CONFLICT", "email")
    assert await User.count() == 1


async def test_a_fullwidth_address_is_stored_in_its_plain_form(client: httpx.AsyncClient) -> None:
    user = await create_user(client, email="\uff42ob@Example.com")
    assert user["email"] == "bob@example.com"


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2066", "\u00ad", "\x07"],
    ids=["zwsp", "zwj", "word-joiner", "bom", "rlo", "lri", "soft-hyphen", "bell"],
)
async def test_an_address_with_an_invisible_character_is_refused(
    client: httpx.AsyncClient, invisible: str
) -> None:
    await create_user(client)
    errors = await gql_errors(
        client, CREATE, {"input": {"email": f"ann{invisible}@example.com", "password": PASSWORD}}
    )
    assert_error(errors, "VALIDATION", "email")
    assert await User.count() == 1


async def test_changing_to_another_user_s_address_in_another_form_is_a_conflict(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client)
    bob = await create_user(client, email="bob@example.com")
    errors = await gql_errors(
        client, UPDATE, {"id": bob["id"], "input": {"email": "\uff21\uff2e\uff2e@example.com"}}
    )
    assert_error(errors, "CONFLICT", "email")


async def test_sign_in_with_the_address_in_another_form_finds_the_user(
    client: httpx.AsyncClient, app: Any
) -> None:
    await create_user(client)
    users = app.state.services.users
    assert (await users.authenticate("\uff21\uff2e\uff2e@example.com", PASSWORD)) is not None
    assert (await users.authenticate("ann\u200b@example.com", PASSWORD)) is None


async def test_a_contact_s_address_in_another_form_is_the_same_contact(
    client: httpx.AsyncClient,
) -> None:
    document = (
        "mutation($input: CreateContactInput!) { createContact(input: $input, matchExisting: true)"
        " { created contact { id email } } }"
    )
    first = await gql(client, document, {"input": {"email": "Bob@Example.com"}})
    again = await gql(client, document, {"input": {"email": "\uff22\uff2f\uff22@example.com"}})
    assert first["createContact"]["contact"]["email"] == "bob@example.com"
    assert again["createContact"] == {
        "created": False,
        "contact": first["createContact"]["contact"],
    }
    errors = await gql_errors(client, document, {"input": {"email": "bob\u200b@example.com"}})
    assert_error(errors, "VALIDATION", "email")
    assert await Contact.count() == 1


async def test_a_second_active_user_with_an_extension_is_a_conflict(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, extension="101")
    errors = await gql_errors(
        client,
        CREATE,
        {"input": {"email": "bob@example.com", "password": PASSWORD, "extension": "101"}},
    )
    assert_error(errors, "CONFLICT", "extension")
    bob = await create_user(client, email="bob@example.com", extension="102")
    errors = await gql_errors(client, UPDATE, {"id": bob["id"], "input": {"extension": "101"}})
    assert_error(errors, "CONFLICT", "extension")
    assert [row["extension"] for row in await User.select(User.extension).order_by(User.email)] == [
        "101",
        "102",
    ]


async def test_an_inactive_user_s_extension_may_be_given_again_but_not_reactivated(
    client: httpx.AsyncClient,
) -> None:
    ann = await create_user(client, extension="101")
    await gql(client, UPDATE, {"id": ann["id"], "input": {"isActive": False}})
    bob = await create_user(client, email="bob@example.com", extension="101")
    assert bob["extension"] == "101"
    errors = await gql_errors(client, UPDATE, {"id": ann["id"], "input": {"isActive": True}})
    assert_error(errors, "CONFLICT", "extension")
    inactive = await create_user(client, email="cy@example.com", extension="101", isActive=False)
    assert inactive["isActive"] is False


async def test_the_database_refuses_a_shared_active_extension(client: httpx.AsyncClient) -> None:
    await create_user(client, extension="101")
    with pytest.raises(UNIQUE_VIOLATIONS) as refused:
        await User.insert(
            User(email="bob@example.com", password_hash="x", extension="101", is_active=True)
        )
    assert is_unique_violation(refused.value), refused.value
    assert await User.count() == 1
    await User.insert(
        User(email="cy@example.com", password_hash="x", extension="101", is_active=False)
    )


@pytest.mark.parametrize("extension", ["\u00b2\u00b3", "\u0661\u0660\u0661", "10 1", "x101"])
async def test_an_extension_is_ascii_digits(client: httpx.AsyncClient, extension: str) -> None:
    errors = await gql_errors(
        client,
        CREATE,
        {"input": {"email": "bob@example.com", "password": PASSWORD, "extension": extension}},
    )
    assert_error(errors, "VALIDATION", "extension")


async def test_a_call_to_an_extension_is_the_one_active_user_s(client: httpx.AsyncClient) -> None:
    ann = await create_user(client, extension="101")
    bob = await create_user(client, email="bob@example.com")
    errors = await gql_errors(client, UPDATE, {"id": bob["id"], "input": {"extension": "101"}})
    assert_error(errors, "CONFLICT", "extension")
    response = await client.post(
        "/ringotel/v1/activities",
        json={
            "call_id": "c-1",
            "direction": "inbound",
            "phone": "+12015550123",
            "called_number": "101",
        },
    )
    assert response.status_code == 201, response.text
    row = await Activity.objects().where(Activity.id == uuid.UUID(response.json()["id"])).first()
    assert row is not None
    assert str(row.user) == ann["id"]
