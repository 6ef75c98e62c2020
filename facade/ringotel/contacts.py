"""The contact hooks: list, find by number, create (or find the existing one), update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facade import lenient
from facade.ringotel.hooks import Hook, Input, Output, dig
from facade.ringotel.paging import SYNC_PAGE
from facade.ringotel.phones import LANDLINE_KINDS, MOBILE, first_number, phone_field, phone_inputs

PATH = "/ringotel/v1/contacts"

CONTACT_RECORD = (
    Output("id", variable="contact_id"),
    Output("firstname", "firstName", variable="firstname"),
    Output("lastname", "lastName", variable="lastname"),
    Output("email", variable="email"),
    Output("phone", first_number(*LANDLINE_KINDS), variable="phone"),
    Output("mobile", first_number(MOBILE), variable="mobile"),
    Output(
        "company",
        "company",
        fields=(Output("id", variable="company_id"), Output("name", variable="company_name")),
    ),
    Output("job_title", "jobTitle", variable="job_title"),
    Output("updated_at", "updatedAt"),
)
"""A contact as Contacts and FindContact answer it."""

PROPERTIES = (
    Input("firstname", lenient.text, "First name.", target="input.firstName"),
    Input("lastname", lenient.text, "Last name.", target="input.lastName"),
    Input("email", lenient.text, "Email address.", target="input.email"),
    Input("phone", lenient.phone, "Work number, in any format."),
    Input("mobile", lenient.phone, "Mobile number, in any format."),
    Input(
        "company_name",
        lenient.text,
        "The company's name; a company is created when none has it.",
        target="input.companyName",
    ),
    Input("job_title", lenient.text, "Job title.", target="input.jobTitle"),
    Input("user_id", lenient.text, "The CRM user who owns the contact.", target="input.ownerId"),
)
"""What Ringotel may send about a contact."""


def _new_phones(values: dict[str, Any], _: Mapping[str, Any] | None) -> dict[str, Any]:
    phones = phone_inputs(values)
    return {"input": {} if phones is None else {"phones": phones}}


def _changed_phones(values: dict[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    phones = phone_inputs(values, dig(current, "contact.phones"))
    return {"input": {} if phones is None else {"phones": phones}}


CONTACTS = Hook(
    name="Contacts",
    method="GET",
    path=PATH,
    summary="Contacts with their properties, a page at a time; `updated_since` for a sync.",
    tag="contacts",
    operation="RingotelContacts",
    inputs=SYNC_PAGE,
    result="contacts",
    shape="page",
    outputs=CONTACT_RECORD,
)


def with_main_line_staff(nodes: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A company's main line that no contact shares stands for the company's staff, who
    follow its match as main-line matches (Ringotel reads only contacts, so the company
    alone would show nothing)."""
    expanded: list[Mapping[str, Any]] = []
    staff: list[Mapping[str, Any]] = []
    for node in nodes:
        if staff and not (node.get("entity") == "CONTACT" and node.get("mainLine")):
            expanded += staff
            staff = []
        expanded.append(node)
        if node.get("staff"):
            staff = [
                {**node, "entity": "CONTACT", "contact": contact}
                for contact in node.get("staff") or []
            ]
    return expanded + staff


FIND_CONTACT = Hook(
    name="FindContact",
    method="GET",
    path=PATH + "/lookup",
    summary="The contacts a phone number belongs to, the best match first, each with why it "
    "matched (`match`: e164, national or suffix; `main_line`: the number is its company's "
    'main line, named in `company`); no match answers 200 with `{"records": []}`.',
    tag="contacts",
    operation="RingotelFindContact",
    inputs=(
        Input(
            "phone",
            lenient.phone,
            "The other party's number, in any format (a `+` sent unencoded is understood).",
            where="query",
            target="phone",
            required=True,
        ),
    ),
    result="lookupContacts",
    shape="list",
    record="contact",
    outputs=CONTACT_RECORD,
    expand=with_main_line_staff,
    annotations=(
        Output("match", lambda node: str(node.get("match") or "").lower(), variable="match"),
        Output("main_line", "mainLine", variable="main_line"),
        Output("matched_number", "number", variable="matched_number"),
    ),
)

CREATE_CONTACT = Hook(
    name="CreateContact",
    method="POST",
    path=PATH,
    summary="Create a contact (201). One whose number or email a contact already has "
    "is not duplicated: that contact's id answers, with 200.",
    tag="contacts",
    operation="RingotelCreateContact",
    inputs=PROPERTIES,
    variables=_new_phones,
    result="createContact.contact",
    outputs=(Output("id", variable="contact_id"),),
    status=201,
    created="createContact.created",
    error_field=phone_field,
)

UPDATE_CONTACT = Hook(
    name="UpdateContact",
    method="PATCH",
    path=PATH + "/{contact_id}",
    summary="Change a contact's properties; absent ones stay. A new phone replaces the "
    "landlines, a new mobile the mobile numbers.",
    tag="contacts",
    operation="RingotelUpdateContact",
    prefetch="RingotelContactPhones",
    inputs=(
        Input(
            "contact_id",
            lenient.text,
            "The contact's id.",
            where="path",
            target="id",
            required=True,
        ),
        *PROPERTIES,
    ),
    variables=_changed_phones,
    result="updateContact",
    outputs=(Output("id", variable="contact_id"),),
    error_field=phone_field,
)
