"""The statements of `crm.domain.recordings`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from crm.queries.rows import rows_by_key
from crm.tables import Recording


async def of_activity(activity_id: uuid.UUID) -> Recording | None:
    return await Recording.objects().where(Recording.activity == activity_id).first()


async def by_activities(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Recording]:
    """Recordings keyed by their activity's id."""
    return await rows_by_key(Recording, Recording.activity, ids)
