"""Contacts, companies and numbers written straight to the tables, keyed as the CRM keys them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from crm.domain.lookup import PhoneMatch
from crm.domain.phone_normalization import normalize
from crm.tables import Activity, Company, Contact, PhoneNumber

Numbers = Sequence[tuple[str, str]]
"""(number as entered, kind)."""


async def add_numbers(
    numbers: Numbers,
    *,
    contact: Contact | None = None,
    company: Company | None = None,
    region: str = "US",
) -> None:
    rows = []
    for position, (raw, kind) in enumerate(numbers):
        keys = normalize(raw, region)
        rows.append(
            PhoneNumber(
                contact=contact.id if contact else None,
                company=company.id if company else None,
                kind=kind,
                number=raw,
                e164=keys.e164,
                national=keys.national,
                suffix=keys.suffix,
                extension=keys.extension,
                position=position,
            )
        )
    if rows:
        await PhoneNumber.insert(*rows)


async def add_company(name: str, numbers: Numbers = (), *, region: str = "US") -> Company:
    company = Company(name=name)
    await company.save()
    await add_numbers(numbers, company=company, region=region)
    return company


async def add_contact(
    first_name: str,
    numbers: Numbers = (),
    *,
    company: Company | None = None,
    region: str = "US",
    updated_at: datetime | None = None,
) -> Contact:
    contact = Contact(
        first_name=first_name, last_name="Test", company=company.id if company else None
    )
    if updated_at is not None:
        contact.updated_at = updated_at
    await contact.save()
    await add_numbers(numbers, contact=contact, region=region)
    return contact


async def add_call(contact: Contact, started_at: datetime, line: str | None = None) -> None:
    """A completed inbound call from `contact`, from the number `line` (E.164) if given."""
    await Activity(
        call_id=str(uuid.uuid4()),
        direction="inbound",
        status="completed",
        from_number=line,
        party_e164=line,
        contact=contact.id,
        company=contact.company,
        started_at=started_at,
    ).save()


def who(matches: Sequence[PhoneMatch]) -> list[tuple[str, uuid.UUID | None, str, bool]]:
    """Each match as (entity, its id, tier, main line), for comparing whole rankings."""
    return [
        (
            m.entity,
            (m.contact.id if m.contact else None)
            if m.entity == "contact"
            else (m.company.id if m.company else None),
            m.match,
            m.main_line,
        )
        for m in matches
    ]
