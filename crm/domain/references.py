"""Checks that an id a record points to names an existing row."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from crm.domain.errors import NotFound
from crm.domain.validation import parse_id
from crm.queries import companies, users


async def existing_user(
    user_id: str | uuid.UUID | None, *, field: str = "owner_id"
) -> uuid.UUID | None:
    """The id of an existing user, `None` for none; an unknown id is `NotFound` naming `field`."""
    return await _existing(users.exists, user_id, field=field, entity="user")


async def existing_company(
    company_id: str | uuid.UUID | None, *, field: str = "company_id"
) -> uuid.UUID | None:
    """The id of an existing company, `None` for none; an unknown id is `NotFound` naming
    `field`."""
    return await _existing(companies.exists, company_id, field=field, entity="company")


async def _existing(
    exists: Callable[[uuid.UUID], Awaitable[bool]],
    value: str | uuid.UUID | None,
    *,
    field: str,
    entity: str,
) -> uuid.UUID | None:
    if value is None:
        return None
    row_id = parse_id(value, field=field, entity=entity)
    if not await exists(row_id):
        raise NotFound(f"no {entity} with id {value}", field=field)
    return row_id
