"""Checks that an id a record points to names an existing row."""

from __future__ import annotations

import uuid

from crm.domain.errors import NotFound
from crm.domain.validation import parse_id
from crm.queries import companies, users


async def existing_user(
    user_id: str | uuid.UUID | None, *, field: str = "owner_id"
) -> uuid.UUID | None:
    """The id of an existing user, `None` for none; an unknown id is `NotFound` naming `field`."""
    if user_id is None:
        return None
    uid = parse_id(user_id, field=field, entity="user")
    if not await users.exists(uid):
        raise NotFound(f"no user with id {user_id}", field=field)
    return uid


async def existing_company(
    company_id: str | uuid.UUID | None, *, field: str = "company_id"
) -> uuid.UUID | None:
    """The id of an existing company, `None` for none; an unknown id is `NotFound` naming
    `field`."""
    if company_id is None:
        return None
    cid = parse_id(company_id, field=field, entity="company")
    if not await companies.exists(cid):
        raise NotFound(f"no company with id {company_id}", field=field)
    return cid
