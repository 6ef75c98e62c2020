"""Deletions: which contacts and companies were deleted, and when, for incremental sync.

A client that syncs with `updatedSince` sees changes but not deletions; the services
record each deletion here, in the deleting transaction, and a client asks for the
deletions since its last sync.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from crm.domain.config import DomainConfig
from crm.domain.pagination import Page, page_request
from crm.domain.validation import clean_moment
from crm.queries import deletions as queries
from crm.tables import Deletion


class DeletedKind(StrEnum):
    """What was deleted."""

    CONTACT = "contact"
    COMPANY = "company"


async def record_deletion(kind: DeletedKind, record_id: uuid.UUID, at: datetime) -> None:
    """Remember that a record was deleted; call it inside the deleting transaction."""
    await queries.record(kind.value, record_id, at)


class DeletionService:
    """List the deletions of contacts and companies."""

    def __init__(self, config: DomainConfig) -> None:
        self._config = config

    async def since(
        self, since: datetime, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Deletion]:
        """Deletions at or after `since`, oldest first, paged like the lists they complete."""
        request = page_request(limit, cursor, self._config)
        return await queries.page_since(clean_moment(since, field="since"), request)
