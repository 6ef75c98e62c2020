"""Checks that an id a record points to names an existing row."""

from __future__ import annotations

import uuid

from crm.domain.errors import NotFound
from crm.domain.validation import parse_id
from crm.tables import User


async def existing_user(
    user_id: str | uuid.UUID | None, *, field: str = "ownerId"
) -> uuid.UUID | None:
    """The id of an existing user, `None` for none; an unknown id is `NotFound` naming `field`."""
    if user_id is None:
        return None
    uid = parse_id(user_id, field=field, entity="user")
    if not await User.exists().where(User.id == uid):
        raise NotFound(f"no user with id {user_id}", field=field)
    return uid
