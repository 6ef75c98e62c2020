"""Helpers for the company and contact tests: create records over GraphQL, snapshot the tables."""

from __future__ import annotations

from typing import Any

import httpx

from crm.tables import Company, Contact, PhoneNumber, User
from tests.graphql_client import gql, gql_errors

CONTACT_FIELDS = """
  id firstName lastName email jobTitle notes createdAt updatedAt
  company { id name }
  owner { id email }
  phones { id number e164 national kind extension }
"""

COMPANY_FIELDS = """
  id name website address createdAt updatedAt
  owner { id email }
  phones { id number e164 national kind extension }
"""

CREATE_CONTACT = f"""
mutation Create($input: CreateContactInput!, $match: Boolean) {{
  createContact(input: $input, matchExisting: $match) {{ created contact {{ {CONTACT_FIELDS} }} }}
}}
"""

CREATE_COMPANY = f"""
mutation Create($input: CreateCompanyInput!) {{
  createCompany(input: $input) {{ {COMPANY_FIELDS} }}
}}
"""

UPDATE_CONTACT = f"""
mutation Update($id: ID!, $input: UpdateContactInput!) {{
  updateContact(id: $id, input: $input) {{ {CONTACT_FIELDS} }}
}}
"""

UPDATE_COMPANY = f"""
mutation Update($id: ID!, $input: UpdateCompanyInput!) {{
  updateCompany(id: $id, input: $input) {{ {COMPANY_FIELDS} }}
}}
"""


async def _record(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any], field: str
) -> dict[str, Any]:
    """The record a mutation that must succeed answers under `field`."""
    record: dict[str, Any] = (await gql(client, document, variables))[field]
    return record


async def create_contact(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    result = await _record(client, CREATE_CONTACT, {"input": fields}, "createContact")
    contact: dict[str, Any] = result["contact"]
    return contact


async def create_matching(client: httpx.AsyncClient, contact: dict[str, Any]) -> dict[str, Any]:
    """`createContact` with `matchExisting`: `created` and the new or the matched contact."""
    variables = {"input": contact, "match": True}
    return await _record(client, CREATE_CONTACT, variables, "createContact")


async def create_company(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    return await _record(client, CREATE_COMPANY, {"input": fields}, "createCompany")


async def update_contact(
    client: httpx.AsyncClient, contact_id: str, **fields: Any
) -> dict[str, Any]:
    variables = {"id": contact_id, "input": fields}
    return await _record(client, UPDATE_CONTACT, variables, "updateContact")


async def update_company(
    client: httpx.AsyncClient, company_id: str, **fields: Any
) -> dict[str, Any]:
    variables = {"id": company_id, "input": fields}
    return await _record(client, UPDATE_COMPANY, variables, "updateCompany")


async def create_user(client: httpx.AsyncClient, email: str = "owner@example.com") -> str:
    data = await gql(
        client,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        {"input": {"email": email, "password": "long enough"}},
    )
    user_id: str = data["createUser"]["id"]
    return user_id


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables these tests write, to show that a refused write changed nothing."""
    return {
        "user": await User.select(User.id, User.updated_at).order_by(User.id),
        "company": await Company.select().order_by(Company.id),
        "contact": await Contact.select().order_by(Contact.id),
        "phone": await PhoneNumber.select().order_by(PhoneNumber.id),
    }


async def assert_refused_unchanged(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any], code: str, field: str
) -> None:
    """`document` fails with `code` naming `field`, and every table stays as it was."""
    before = await snapshot()
    errors = await gql_errors(client, document, variables)
    assert errors[0]["extensions"] == {"code": code, "field": field}
    assert await snapshot() == before
