"""Deletions in GraphQL: which contacts and companies were deleted since a moment."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from crm.domain.deletions import DeletedKind as DeletedKindData
from crm.graphql.context import Info
from crm.graphql.pagination import Connection, connection
from crm.graphql.permissions import CanRead
from crm.tables import Deletion as DeletionRow


@strawberry.enum(description="What kind of record was deleted.")
class DeletedKind(Enum):
    CONTACT = DeletedKindData.CONTACT.value
    COMPANY = DeletedKindData.COMPANY.value


@strawberry.type(name="Deletion", description="A contact or company that was deleted.")
class DeletionType:
    id: strawberry.ID = strawberry.field(description="The deleted record's id.")
    kind: DeletedKind
    deleted_at: datetime

    @classmethod
    def from_row(cls, row: DeletionRow) -> DeletionType:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=DeletedKind(row.kind),
            deleted_at=row.deleted_at,
        )


@strawberry.type
class DeletionQuery:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Contacts and companies deleted at or after `since`, oldest first: "
        "with `updatedSince` on the lists, an incremental sync also learns what to drop.",
    )
    async def deleted_since(
        self,
        info: Info,
        since: datetime,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DeletionType]:
        page = await info.context.services.deletions.since(since, limit=first, cursor=after)
        return connection(page, DeletionType.from_row)
