"""The contact hooks: list, find by number, create (or find the existing one), update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from litestar import Response, get, patch, post
from litestar.params import Body, Parameter, QueryParameter

from crm.metrics import FIND_CONTACT
from facade import lenient
from facade.operations import Operation
from facade.ringotel.client import HookClient
from facade.ringotel.hooks import (
    Fills,
    created_or_found,
    hook,
    hook_responses,
    present,
    read_id,
)
from facade.ringotel.paging import Cursor, Limit, NextCursor, UpdatedSince, page_of, page_variables
from facade.ringotel.phone_kinds import LANDLINE_KINDS, MOBILE, first_number, phone_inputs

PATH = "/ringotel/v1/contacts"

CONTACT_FRAGMENT = """
    fragment RingotelContact on Contact {
      id firstName lastName email jobTitle updatedAt
      company { id name }
      phones { number e164 kind }
    }
"""
"""What Contacts and FindContact read of a contact (`ContactRecord`)."""

CONTACTS_QUERY = Operation(
    "RingotelContacts",
    """
    query RingotelContacts($first: Int, $after: String, $filter: ContactFilter) {
      contacts(filter: $filter, first: $first, after: $after) {
        nodes { ...RingotelContact }
        pageInfo { endCursor hasNextPage }
      }
    }
    """
    + CONTACT_FRAGMENT,
)

FIND_CONTACT_QUERY = Operation(
    "RingotelFindContact",
    """
    # A company's main line brings its staff, at most 25 of them.
    query RingotelFindContact($phone: String!) {
      lookupContacts(phone: $phone) {
        entity match mainLine number
        contact { ...RingotelContact }
        staff(first: 25) { ...RingotelContact }
      }
    }
    """
    + CONTACT_FRAGMENT,
)

CREATE_CONTACT_MUTATION = Operation(
    "RingotelCreateContact",
    """
    mutation RingotelCreateContact($input: CreateContactInput!) {
      createContact(input: $input, matchExisting: true) { created contact { id } }
    }
    """,
)

CONTACT_PHONES_QUERY = Operation(
    "RingotelContactPhones",
    """
    # An update that changes the work number keeps the mobile one: it reads them first.
    query RingotelContactPhones($id: ID!) {
      contact(id: $id) { phones { number kind } }
    }
    """,
)

UPDATE_CONTACT_MUTATION = Operation(
    "RingotelUpdateContact",
    """
    mutation RingotelUpdateContact($id: ID!, $input: UpdateContactInput!) {
      updateContact(id: $id, input: $input) { id }
    }
    """,
)

# --- what the hooks answer ---------------------------------------------------------


class CompanyName(msgspec.Struct):
    id: Annotated[str, Fills("company_id")]
    name: Annotated[str | None, Fills("company_name")]


class ContactRecord(msgspec.Struct):
    """A contact as Contacts and FindContact answer it."""

    id: Annotated[str, Fills("contact_id")]
    firstname: Annotated[str | None, Fills("firstname")]
    lastname: Annotated[str | None, Fills("lastname")]
    email: Annotated[str | None, Fills("email")]
    phone: Annotated[str | None, Fills("phone")]
    mobile: Annotated[str | None, Fills("mobile")]
    company: CompanyName | None
    job_title: Annotated[str | None, Fills("job_title")]
    updated_at: str | None


class ContactsPage(msgspec.Struct):
    records: list[ContactRecord]
    next_cursor: NextCursor = None


class FoundContact(ContactRecord):
    """A contact the number belongs to, and why it matched."""

    match: Annotated[str, Fills("match")]
    """e164, national or suffix."""
    main_line: Annotated[bool | None, Fills("main_line")]
    """The number is the main line of the contact's company."""
    matched_number: Annotated[str | None, Fills("matched_number")]


class FoundContacts(msgspec.Struct):
    records: list[FoundContact]


class ContactId(msgspec.Struct):
    id: Annotated[str, Fills("contact_id")]


def contact_fields(node: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields of one GraphQL contact."""
    company = node.get("company")
    phones = node.get("phones")
    return {
        "id": node["id"],
        "firstname": node.get("firstName"),
        "lastname": node.get("lastName"),
        "email": node.get("email"),
        "phone": first_number(phones, *LANDLINE_KINDS),
        "mobile": first_number(phones, MOBILE),
        "company": None if company is None else CompanyName(company["id"], company.get("name")),
        "job_title": node.get("jobTitle"),
        "updated_at": node.get("updatedAt"),
    }


def contact_record(node: Mapping[str, Any]) -> ContactRecord:
    return ContactRecord(**contact_fields(node))


def with_main_line_staff(matches: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A company's main line that no contact shares stands for the company's staff, who
    follow its match as main-line matches (Ringotel reads only contacts, so the company
    alone would show nothing)."""
    expanded: list[Mapping[str, Any]] = []
    staff: list[Mapping[str, Any]] = []
    for match in matches:
        if staff and not (match.get("entity") == "CONTACT" and match.get("mainLine")):
            expanded += staff
            staff = []
        expanded.append(match)
        if match.get("staff"):
            staff = [
                {**match, "entity": "CONTACT", "contact": contact}
                for contact in match.get("staff") or []
            ]
    return expanded + staff


def found_contacts(matches: list[Mapping[str, Any]]) -> list[FoundContact]:
    """Each matched contact once, in the order of its best match."""
    seen: set[str] = set()
    found: list[FoundContact] = []
    for match in with_main_line_staff(matches):
        contact = match.get("contact")
        if not isinstance(contact, Mapping) or contact["id"] in seen:
            continue  # a company's own match is listed through its staff
        seen.add(contact["id"])
        found.append(
            FoundContact(
                **contact_fields(contact),
                match=str(match.get("match") or "").lower(),
                main_line=match.get("mainLine"),
                matched_number=match.get("number"),
            )
        )
    return found


# --- what the hooks read -----------------------------------------------------------


class CreateContactRequest(lenient.LenientBody):
    """What Ringotel may send about a contact."""

    firstname: Annotated[lenient.Text, msgspec.Meta(description="First name.")] = None
    lastname: Annotated[lenient.Text, msgspec.Meta(description="Last name.")] = None
    email: Annotated[lenient.Text, msgspec.Meta(description="Email address.")] = None
    phone: Annotated[lenient.Phone, msgspec.Meta(description="Work number, in any format.")] = None
    mobile: Annotated[lenient.Phone, msgspec.Meta(description="Mobile number, in any format.")] = (
        None
    )
    company_name: Annotated[
        lenient.Text,
        msgspec.Meta(description="The company's name; a company is created when none has it."),
    ] = None
    job_title: Annotated[lenient.Text, msgspec.Meta(description="Job title.")] = None
    user_id: Annotated[
        lenient.Text, msgspec.Meta(description="The CRM user who owns the contact.")
    ] = None


class UpdateContactRequest(CreateContactRequest):
    """New values for a contact's properties; absent ones stay."""


def contact_input(
    body: CreateContactRequest, current_phones: list[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The contact input for the values sent (absent ones left out)."""
    sent = {
        "firstName": body.firstname,
        "lastName": body.lastname,
        "email": body.email,
        "companyName": body.company_name,
        "jobTitle": body.job_title,
        "ownerId": body.user_id,
    }
    values = present(sent)
    phones = phone_inputs(body.phone, body.mobile, current_phones)
    if phones is not None:
        values["phones"] = phones
    return values


# --- the hooks ---------------------------------------------------------------------

ContactIdParameter = Annotated[str, Parameter(description="The contact's id.")]
ContactBody = Body(description="Fields Ringotel fills in for a contact.")


@get(
    PATH,
    operation_id="Contacts",
    tags=["contacts"],
    summary="Contacts with their properties, a page at a time; `updated_since` for a sync.",
    opt=hook("Contacts"),
    responses=hook_responses(has_body=False),
)
async def contacts(
    graphql: HookClient,
    limit: Limit = None,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> ContactsPage:
    data = await graphql.run(CONTACTS_QUERY, page_variables(limit, cursor, updated_since))
    return page_of(ContactsPage, data["contacts"], contact_record)


@get(
    PATH + "/lookup",
    operation_id="FindContact",
    tags=["contacts"],
    summary="The contacts a phone number belongs to, the best match first, each with why it "
    "matched (`match`: e164, national or suffix; `main_line`: the number is its company's "
    'main line, named in `company`); no match answers 200 with `{"records": []}`.',
    opt=hook("FindContact"),
    responses=hook_responses(has_body=False),
)
async def find_contact(
    graphql: HookClient,
    phone: Annotated[
        str | None,
        QueryParameter(
            name="phone",
            required=True,
            description="The other party's number, in any format "
            "(a `+` sent unencoded is understood).",
        ),
    ] = None,
) -> FoundContacts:
    number = lenient.required(lenient.phone(phone, "phone"), "phone")
    data = await graphql.run(FIND_CONTACT_QUERY, {"phone": number})
    found = found_contacts(data["lookupContacts"])
    FIND_CONTACT.labels(found[0].match if found else "none").inc()
    return FoundContacts(found)


@post(
    PATH,
    operation_id="CreateContact",
    tags=["contacts"],
    summary="Create a contact (201). One whose number or email a contact already has "
    "is not duplicated: that contact's id answers, with 200.",
    status_code=201,
    opt=hook("CreateContact"),
    responses=hook_responses(has_body=True, found=ContactId),
)
async def create_contact(
    graphql: HookClient, data: Annotated[CreateContactRequest | None, ContactBody] = None
) -> Response[ContactId]:
    body = data or CreateContactRequest()
    variables = {"input": contact_input(body)}
    answer = (await graphql.run(CREATE_CONTACT_MUTATION, variables))["createContact"]
    return created_or_found(ContactId(answer["contact"]["id"]), answer["created"])


@patch(
    PATH + "/{contact_id:str}",
    operation_id="UpdateContact",
    tags=["contacts"],
    summary="Change a contact's properties; absent ones stay. A new phone replaces the "
    "landlines, a new mobile the mobile numbers.",
    opt=hook("UpdateContact"),
    responses=hook_responses(has_body=True),
)
async def update_contact(
    graphql: HookClient,
    contact_id: ContactIdParameter,
    data: Annotated[UpdateContactRequest | None, ContactBody] = None,
) -> ContactId:
    record = read_id(contact_id, "contact_id")
    body = data or UpdateContactRequest()
    current = None
    if body.phone is not None or body.mobile is not None:
        found = await graphql.run(CONTACT_PHONES_QUERY, {"id": record})
        current = (found["contact"] or {}).get("phones")
    variables = {"id": record, "input": contact_input(body, current)}
    answer = await graphql.run(UPDATE_CONTACT_MUTATION, variables)
    return ContactId(answer["updateContact"]["id"])
