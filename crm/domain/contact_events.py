"""The webhooks of contacts and companies: `contact.created` ... `company.deleted`.

Each is written to the outbox inside the transaction of its change (so a rollback sends
nothing), with the object as GraphQL's `Contact` or `Company` names its fields (the
company and owner by id, the numbers in full); a deletion sends the object as it was.
Events of one contact (or company) reach an endpoint in the order they happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from crm.domain.phone_numbers import PhoneKind
from crm.domain.webhooks import OutboundEvent, Outbox, WebhookEventType, id_text, moment_text
from crm.queries import contacts as contact_queries
from crm.queries import phone_numbers
from crm.tables import Company, Contact, PhoneNumber


def phone_data(row: PhoneNumber) -> dict[str, Any]:
    """A number as GraphQL's `PhoneNumber` names its fields."""
    return {
        "id": str(row.id),
        "number": row.number,
        "e164": row.e164,
        "national": row.national,
        "kind": PhoneKind(row.kind).name,
        "extension": row.extension,
    }


def contact_data(row: Contact, phones: Sequence[PhoneNumber]) -> dict[str, Any]:
    """A contact as GraphQL's `Contact` names its fields."""
    return {
        "id": str(row.id),
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "jobTitle": row.job_title,
        "notes": row.notes,
        "companyId": id_text(row.company),
        "ownerId": id_text(row.owner),
        "phones": [phone_data(p) for p in phones],
        "createdAt": moment_text(row.created_at),
        "updatedAt": moment_text(row.updated_at),
    }


def company_data(row: Company, phones: Sequence[PhoneNumber]) -> dict[str, Any]:
    """A company as GraphQL's `Company` names its fields."""
    return {
        "id": str(row.id),
        "name": row.name,
        "website": row.website,
        "address": row.address,
        "ownerId": id_text(row.owner),
        "phones": [phone_data(p) for p in phones],
        "createdAt": moment_text(row.created_at),
        "updatedAt": moment_text(row.updated_at),
    }


async def record_contact(outbox: Outbox, type: WebhookEventType, row: Contact) -> None:
    """Write `type` for the contact as it now stands (its numbers read back); call it in
    the change's transaction, before the numbers go when it is a deletion."""

    async def data() -> dict[str, Any]:
        phones = await phone_numbers.phones_by_owner(PhoneNumber.contact, [row.id])
        return contact_data(row, phones.get(row.id, []))

    await outbox.record_lazily(type, str(row.id), data)


async def record_company(outbox: Outbox, type: WebhookEventType, row: Company) -> None:
    """Write `type` for the company as it now stands; see `record_contact`."""

    async def data() -> dict[str, Any]:
        phones = await phone_numbers.phones_by_owner(PhoneNumber.company, [row.id])
        return company_data(row, phones.get(row.id, []))

    await outbox.record_lazily(type, str(row.id), data)


async def record_contacts_updated(outbox: Outbox, ids: Sequence[uuid.UUID]) -> None:
    """Write `contact.updated` for each of `ids` as they now stand (contacts a company's
    deletion took out of it); no query when no endpoint wants it."""
    if not ids or not await outbox.wants(WebhookEventType.CONTACT_UPDATED):
        return
    rows = await contact_queries.by_ids(ids)
    phones = await phone_numbers.phones_by_owner(PhoneNumber.contact, list(rows))
    await outbox.record(
        [
            OutboundEvent(
                WebhookEventType.CONTACT_UPDATED,
                str(cid),
                contact_data(row, phones.get(cid, [])),
            )
            for cid, row in rows.items()
        ]
    )
