"""The statements of `crm.domain.users` (and the user checks other services make)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crm.domain.pagination import Page, PageRequest, encode_cursor, page_of
from crm.queries.rows import ById, fetch, row_from, select_sql
from crm.tables import User

_by_id = ById(User)
by_id = _by_id.by_id
by_ids = _by_id.by_ids
exists = _by_id.exists


async def by_email(email: str) -> User | None:
    """The user with this address, in its stored form."""
    return await User.objects().where(User.email == email).first()


async def page(
    request: PageRequest, after_id: uuid.UUID | None, *, active: bool | None
) -> Page[User]:
    """Users in id order after `after_id`, optionally only the active (or inactive) ones."""
    query = User.objects().order_by(User.id).limit(request.limit + 1)
    if active is not None:
        query = query.where(User.is_active == active)
    if after_id is not None:
        query = query.where(User.id > after_id)
    return page_of(list(await query), request.limit, _cursor)


def _cursor(user: User) -> str:
    return encode_cursor("", str(user.id))


async def email_taken(email: str, *, other_than: uuid.UUID | None) -> bool:
    """Whether a user (other than `other_than`) has this address."""
    condition: Any = User.email == email
    if other_than is not None:
        condition &= User.id != other_than
    return bool(await User.exists().where(condition))


async def extension_taken(extension: str, *, other_than: uuid.UUID | None) -> bool:
    """Whether an active user (other than `other_than`) has this extension."""
    condition: Any = (User.extension == extension) & User.is_active.eq(True)
    if other_than is not None:
        condition &= User.id != other_than
    return bool(await User.exists().where(condition))


_ACTIVE_WITH_EXTENSION = "extension = {} AND is_active"
"""The condition of both reads by extension: the hot one (ids, every call logged) is a
constant statement, which costs less than Piccolo's builder would to write it."""
_ACTIVE_IDS_BY_EXTENSION = f"SELECT id FROM crm_user WHERE {_ACTIVE_WITH_EXTENSION}"  # noqa: S608 (fixed text)
_ACTIVE_BY_EXTENSION = select_sql(User, _ACTIVE_WITH_EXTENSION)


async def active_ids_by_extension(extension: str) -> list[uuid.UUID]:
    """The active users with this extension (at most one, when the data is sound)."""
    rows = await fetch(_ACTIVE_IDS_BY_EXTENSION, extension)
    return [uuid.UUID(str(row["id"])) for row in rows]


async def active_ids_by_phone(e164: str) -> list[uuid.UUID]:
    """The active users whose phone is this number."""
    rows = await User.select(User.id).where((User.phone_e164 == e164) & User.is_active.eq(True))
    return [uuid.UUID(str(row["id"])) for row in rows]


async def active_by_extension(extension: str) -> list[User]:
    """The active users with this extension (at most one, when the data is sound)."""
    return [row_from(User, record) for record in await fetch(_ACTIVE_BY_EXTENSION, extension)]


async def active_by_ringotel_id(ringotel_user_id: str) -> list[User]:
    """The active users Ringotel knows by this id (at most one, as `move_ringotel_id` keeps it)."""
    return list(
        await User.objects().where(
            (User.ringotel_user_id == ringotel_user_id) & User.is_active.eq(True)
        )
    )


async def move_ringotel_id(user_id: uuid.UUID, ringotel_user_id: str, at: datetime) -> None:
    """Give `ringotel_user_id` to `user_id` alone, taking it from any other user that had
    it. Run it in a transaction, so no moment sees it on two users."""
    held: Any = User.ringotel_user_id == ringotel_user_id
    await User.update({User.ringotel_user_id: None, User.updated_at: at}).where(
        held & (User.id != user_id)
    )
    await User.update({User.ringotel_user_id: ringotel_user_id, User.updated_at: at}).where(
        User.id == user_id
    )
