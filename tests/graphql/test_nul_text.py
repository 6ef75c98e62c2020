"""Text holding a NUL character is refused by name on both engines (PostgreSQL cannot store it)."""

from __future__ import annotations

import httpx
import pytest

from crm.tables import Company, Contact, User
from tests.graphql_client import gql_errors

CASES = [
    (
        "mutation($i: CreateContactInput!) { createContact(input: $i) { created } }",
        {"firstName": "Ann\x00"},
        "firstName",
    ),
    (
        "mutation($i: CreateContactInput!) { createContact(input: $i) { created } }",
        {"firstName": "Ann", "notes": "a\x00b"},
        "notes",
    ),
    (
        "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }",
        {"name": "Acme\x00"},
        "name",
    ),
    (
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        {"email": "a@example.com", "password": "long enough", "lastName": "\x00"},
        "lastName",
    ),
]


@pytest.mark.parametrize(("mutation", "data", "field"), CASES)
async def test_text_with_a_nul_character_is_a_validation_error_naming_the_field(
    client: httpx.AsyncClient, mutation: str, data: dict[str, str], field: str
) -> None:
    errors = await gql_errors(client, mutation, {"i": data})
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert errors[0]["extensions"]["field"] == field
    assert await Contact.count() == 0
    assert await Company.count() == 0
    assert await User.count() == 0
