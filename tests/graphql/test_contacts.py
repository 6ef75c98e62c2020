"""Contacts through /graphql: create (with numbers, company and owner), match, read, update,
delete, and bad input that names the field and writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from crm.tables import Company, Contact, PhoneNumber
from tests.graphql.crm_records import (
    CONTACT_FIELDS,
    CREATE_CONTACT,
    assert_refused_unchanged,
    create_company,
    create_contact,
    create_matching,
    create_user,
    update_contact,
)
from tests.graphql.crm_records import UPDATE_CONTACT as UPDATE
from tests.graphql_client import gql, gql_errors

GET = f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"


async def test_create_contact_normalizes_numbers_and_lowercases_email(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_user(client)
    contact = await create_contact(
        client,
        firstName=" Ann ",
        lastName="Lee",
        email="Ann.Lee@Example.COM",
        jobTitle="Buyer",
        notes="Prefers mornings.",
        ownerId=owner,
        phones=[
            {"number": "(212) 555-0123 x12"},
            {"number": "+44 20 7946 0018", "kind": "MOBILE"},
            {"number": "0049 30 901820", "kind": "FAX"},
        ],
    )
    assert contact["firstName"] == "Ann"
    assert contact["email"] == "ann.lee@example.com"
    assert contact["owner"] == {"id": owner, "email": "owner@example.com"}
    assert contact["company"] is None
    phones = [
        {key: phone[key] for key in ("number", "e164", "national", "kind", "extension")}
        for phone in contact["phones"]
    ]
    assert phones == [
        {
            "number": "(212) 555-0123 x12",
            "e164": "+12125550123",
            "national": "2125550123",
            "kind": "WORK",
            "extension": "12",
        },
        {
            "number": "+44 20 7946 0018",
            "e164": "+442079460018",
            "national": "2079460018",
            "kind": "MOBILE",
            "extension": None,
        },
        {
            "number": "0049 30 901820",
            "e164": "+4930901820",
            "national": "30901820",
            "kind": "FAX",
            "extension": None,
        },
    ]
    rows = await PhoneNumber.select(PhoneNumber.suffix, PhoneNumber.position).order_by(
        PhoneNumber.position
    )
    assert rows == [
        {"suffix": "5550123", "position": 0},
        {"suffix": "9460018", "position": 1},
        {"suffix": "0901820", "position": 2},
    ]


async def test_company_name_naming_no_company_creates_it(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, firstName="Ann", companyName="Acme Ltd")
    assert contact["company"]["name"] == "Acme Ltd"
    assert await Company.count() == 1


async def test_company_name_matches_an_existing_company_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    company = await create_company(client, name="Acme Ltd")
    contact = await create_contact(client, firstName="Ann", companyName="ACME ltd")
    assert contact["company"] == {"id": company["id"], "name": "Acme Ltd"}
    assert await Company.count() == 1


async def test_company_id_links_the_contact_to_that_company(client: httpx.AsyncClient) -> None:
    company = await create_company(client, name="Initech")
    contact = await create_contact(client, lastName="Gibbons", companyId=company["id"])
    assert contact["company"] == {"id": company["id"], "name": "Initech"}


async def test_contact_by_id_reads_what_was_written(client: httpx.AsyncClient) -> None:
    created = await create_contact(
        client, firstName="Ann", companyName="Acme", phones=[{"number": "+33 1 23 45 67 89"}]
    )
    data = await gql(client, GET, {"id": created["id"]})
    assert data["contact"] == created


async def test_unknown_or_malformed_contact_id_is_not_found(client: httpx.AsyncClient) -> None:
    for bad in ["00000000-0000-0000-0000-000000000000", "nope"]:
        errors = await gql_errors(client, GET, {"id": bad})
        assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_match_existing_returns_the_contact_with_the_same_number_in_another_notation(
    client: httpx.AsyncClient,
) -> None:
    existing = await create_contact(client, firstName="Ann", phones=[{"number": "+1 212-555-0123"}])
    result = await create_matching(
        client, {"firstName": "Someone", "phones": [{"number": "(212) 555 0123"}]}
    )
    assert result["created"] is False
    assert result["contact"]["id"] == existing["id"]
    assert result["contact"]["firstName"] == "Ann"
    assert await Contact.count() == 1
    assert await PhoneNumber.count() == 1


async def test_match_existing_compares_national_digits_when_a_number_has_no_country(
    client: httpx.AsyncClient,
) -> None:
    existing = await create_contact(client, firstName="Ann", phones=[{"number": "123-4567"}])
    result = await create_matching(client, {"phones": [{"number": "1234567"}]})
    assert result == {"created": False, "contact": existing}


async def test_match_existing_finds_the_email_in_any_case(client: httpx.AsyncClient) -> None:
    existing = await create_contact(client, firstName="Ann", email="ann@example.com")
    result = await create_matching(
        client, {"email": "ANN@example.com", "phones": [{"number": "+49 30 901820"}]}
    )
    assert result["created"] is False
    assert result["contact"]["id"] == existing["id"]
    assert await PhoneNumber.count() == 0


async def test_match_existing_creates_when_nothing_matches(client: httpx.AsyncClient) -> None:
    await create_contact(client, firstName="Ann", email="ann@example.com")
    result = await create_matching(client, {"firstName": "Bob", "email": "bob@example.com"})
    assert result["created"] is True
    assert await Contact.count() == 2


async def test_without_match_existing_a_duplicate_is_created(client: httpx.AsyncClient) -> None:
    await create_contact(client, firstName="Ann", email="ann@example.com")
    data = await gql(client, CREATE_CONTACT, {"input": {"email": "ann@example.com"}})
    assert data["createContact"]["created"] is True
    assert await Contact.count() == 2


async def test_update_changes_given_fields_and_moves_updated_at(
    client: httpx.AsyncClient,
) -> None:
    created = await create_contact(
        client,
        firstName="Ann",
        lastName="Lee",
        jobTitle="Buyer",
        phones=[{"number": "+1 212 555 0123"}],
    )
    updated = await update_contact(client, created["id"], lastName="Smith", jobTitle=None)
    assert (updated["firstName"], updated["lastName"], updated["jobTitle"]) == (
        "Ann",
        "Smith",
        None,
    )
    assert updated["phones"] == created["phones"]
    assert datetime.fromisoformat(updated["updatedAt"]) > datetime.fromisoformat(
        created["updatedAt"]
    )
    assert updated["createdAt"] == created["createdAt"]


async def test_update_with_phones_replaces_all_numbers(client: httpx.AsyncClient) -> None:
    created = await create_contact(
        client,
        firstName="Ann",
        phones=[{"number": "+1 212 555 0123"}, {"number": "+1 212 555 0199", "kind": "HOME"}],
    )
    updated = await update_contact(
        client, created["id"], phones=[{"number": "+61 2 9876 5432", "kind": "MOBILE"}]
    )
    assert [(p["e164"], p["kind"]) for p in updated["phones"]] == [("+61298765432", "MOBILE")]
    assert await PhoneNumber.count() == 1
    assert (await update_contact(client, created["id"], phones=[]))["phones"] == []
    assert await PhoneNumber.count() == 0


async def test_update_company_id_null_or_empty_company_name_clears_the_company(
    client: httpx.AsyncClient,
) -> None:
    created = await create_contact(client, firstName="Ann", companyName="Acme")
    updated = await update_contact(client, created["id"], companyId=None)
    assert updated["company"] is None
    updated = await update_contact(client, created["id"], companyName="Initech")
    assert updated["company"]["name"] == "Initech"
    updated = await update_contact(client, created["id"], companyName="")
    assert updated["company"] is None
    assert await Company.count() == 2


async def test_update_owner_sets_and_clears_it(client: httpx.AsyncClient) -> None:
    owner = await create_user(client)
    created = await create_contact(client, firstName="Ann")
    updated = await update_contact(client, created["id"], ownerId=owner)
    assert updated["owner"]["id"] == owner
    updated = await update_contact(client, created["id"], ownerId=None)
    assert updated["owner"] is None


async def test_delete_contact_deletes_its_numbers_and_keeps_its_company(
    client: httpx.AsyncClient,
) -> None:
    created = await create_contact(
        client, firstName="Ann", companyName="Acme", phones=[{"number": "+1 212 555 0123"}]
    )
    other = await create_contact(client, firstName="Bob", phones=[{"number": "+1 212 555 0199"}])
    data = await gql(client, "mutation($id: ID!) { deleteContact(id: $id) }", {"id": created["id"]})
    assert data["deleteContact"] == created["id"]
    assert await Contact.count() == 1
    remaining = await PhoneNumber.select(PhoneNumber.contact)
    assert [str(row["contact"]) for row in remaining] == [other["id"]]
    assert await Company.count() == 1
    errors = await gql_errors(client, GET, {"id": created["id"]})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_delete_unknown_contact_is_not_found(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(
        client,
        "mutation($id: ID!) { deleteContact(id: $id) }",
        {"id": "00000000-0000-0000-0000-000000000000"},
    )
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


BAD_CONTACT_INPUT: list[tuple[dict[str, Any], str, str]] = [
    ({"firstName": "x" * 101}, "VALIDATION", "firstName"),
    ({"firstName": "Ann", "lastName": "x" * 101}, "VALIDATION", "lastName"),
    ({"firstName": "Ann", "email": "not-an-email"}, "VALIDATION", "email"),
    ({"firstName": "Ann", "jobTitle": "x" * 201}, "VALIDATION", "jobTitle"),
    ({"firstName": "Ann", "notes": "x" * 10_001}, "VALIDATION", "notes"),
    ({"firstName": "Ann", "companyName": "x" * 201}, "VALIDATION", "companyName"),
    (
        {
            "firstName": "Ann",
            "companyName": "Acme",
            "companyId": "00000000-0000-0000-0000-000000000000",
        },
        "VALIDATION",
        "companyName",
    ),
    (
        {"firstName": "Ann", "companyId": "00000000-0000-0000-0000-000000000000"},
        "NOT_FOUND",
        "companyId",
    ),
    ({"firstName": "Ann", "companyId": "nope"}, "NOT_FOUND", "companyId"),
    (
        {"firstName": "Ann", "ownerId": "00000000-0000-0000-0000-000000000000"},
        "NOT_FOUND",
        "ownerId",
    ),
    ({"firstName": "Ann", "ownerId": "nope"}, "NOT_FOUND", "ownerId"),
    (
        {"firstName": "Ann", "phones": [{"number": "+1 212 555 0123"}, {"number": "call me"}]},
        "VALIDATION",
        "phones.1.number",
    ),
    ({"firstName": "Ann", "phones": [{"number": ""}]}, "VALIDATION", "phones.0.number"),
    (
        {"firstName": "Ann", "phones": [{"number": "+1 212 555 0123", "kind": "MAIN"}]},
        "VALIDATION",
        "phones.0.kind",
    ),
    (
        {"firstName": "Ann", "phones": [{"number": "+1 212 555 0123"}, {"number": "212.555.0123"}]},
        "VALIDATION",
        "phones.1.number",
    ),
]


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [*BAD_CONTACT_INPUT, ({"firstName": "  ", "notes": "nobody"}, "VALIDATION", "firstName")],
)
async def test_bad_contact_input_on_create_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, payload: dict[str, Any], code: str, field: str
) -> None:
    await create_contact(client, firstName="Existing", phones=[{"number": "+1 415 555 0100"}])
    await assert_refused_unchanged(client, CREATE_CONTACT, {"input": payload}, code, field)


@pytest.mark.parametrize(("payload", "code", "field"), BAD_CONTACT_INPUT)
async def test_bad_contact_input_on_update_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, payload: dict[str, Any], code: str, field: str
) -> None:
    created = await create_contact(
        client, firstName="Existing", companyName="Acme", phones=[{"number": "+1 415 555 0100"}]
    )
    await assert_refused_unchanged(
        client, UPDATE, {"id": created["id"], "input": payload}, code, field
    )


async def test_a_failure_after_creating_the_named_company_undoes_it(
    client: httpx.AsyncClient,
) -> None:
    errors = await gql_errors(
        client,
        CREATE_CONTACT,
        {
            "input": {
                "firstName": "Ann",
                "companyName": "Brand New Ltd",
                "ownerId": "00000000-0000-0000-0000-000000000000",
            }
        },
    )
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "ownerId"}
    assert await Company.count() == 0
    assert await Contact.count() == 0


@pytest.mark.parametrize(
    ("contact", "change", "field"),
    [
        ({"firstName": "Ann"}, {"firstName": None}, "firstName"),
        ({"lastName": "Lee"}, {"lastName": "  ", "jobTitle": "Buyer"}, "lastName"),
        ({"email": "ann@example.com"}, {"email": None}, "email"),
        ({"phones": [{"number": "+1 212 555 0123"}]}, {"phones": []}, "phones"),
        (
            {"firstName": "Ann", "email": "ann@example.com", "phones": [{"number": "12345"}]},
            {"notes": "gone", "email": "", "phones": [], "firstName": None},
            "firstName",
        ),
    ],
)
async def test_update_that_would_leave_no_name_email_or_number_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, contact: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    created = await create_contact(client, **contact)
    await assert_refused_unchanged(
        client, UPDATE, {"id": created["id"], "input": change}, "VALIDATION", field
    )


async def test_update_may_clear_the_name_while_a_number_remains(
    client: httpx.AsyncClient,
) -> None:
    created = await create_contact(client, firstName="Ann", phones=[{"number": "+1 212 555 0123"}])
    updated = await update_contact(client, created["id"], firstName=None)
    assert updated["firstName"] == ""
    assert len(updated["phones"]) == 1
