"""The numbers of contacts and companies: read by owner, replaced wholesale."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from piccolo.columns import ForeignKey

from crm.tables import PhoneNumber


async def replace_phones(
    owner: ForeignKey[Any], owner_id: uuid.UUID, rows: list[PhoneNumber]
) -> None:
    """Make `rows` the numbers of the owner; run it inside the owner's write transaction.

    `owner` is `PhoneNumber.contact` or `PhoneNumber.company`.
    """
    await PhoneNumber.delete().where(owner == owner_id)
    if not rows:
        return
    for row in rows:
        setattr(row, owner._meta.name, owner_id)
    await PhoneNumber.insert(*rows)


async def phones_by_owner(
    owner: ForeignKey[Any], owner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PhoneNumber]]:
    """The numbers of each owner, in their given order; an empty list costs no query."""
    if not owner_ids:
        return {}
    rows = await (
        PhoneNumber.objects()
        .where(owner.is_in(list(owner_ids)))
        .order_by(owner, PhoneNumber.position)
    )
    found: dict[uuid.UUID, list[PhoneNumber]] = defaultdict(list)
    for row in rows:
        found[getattr(row, owner._meta.name)].append(row)
    return {owner_id: found.get(owner_id, []) for owner_id in owner_ids}


async def any_of_contact(contact_id: uuid.UUID) -> bool:
    """Whether the contact has a number at all."""
    return bool(await PhoneNumber.exists().where(PhoneNumber.contact == contact_id))
