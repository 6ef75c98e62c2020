"""Console imports in GraphQL: where a background import stands, for whoever may import.

The file itself goes up and its rejected rows come down over plain HTTP
(`facade.console.transfers`): moving a file is not GraphQL's job; reading a job's state is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from crm.domain.import_jobs import JobStatus
from crm.domain.validation import as_utc
from crm.graphql.context import Info
from crm.graphql.permissions import CanWrite
from crm.graphql.users import UserType
from crm.tables import ImportJob

REJECTS_URL = "/imports/{job_id}/rejects"
"""Where a job's rejected rows are downloaded (`facade.console.transfers` serves it)."""

strawberry.enum(
    JobStatus,
    name="ImportJobStatus",
    description="RUNNING, then DONE (every row read) or FAILED (see `error`).",
)


@strawberry.enum(name="ImportKind", description="What an import brings in.")
class ImportKind(Enum):
    CONTACTS = "contacts"
    COMPANIES = "companies"


@strawberry.type(name="ImportJob")
class ImportJobType:
    """A CSV import the console started, run in the background."""

    id: strawberry.ID
    kind: ImportKind
    file_name: str
    status: JobStatus
    total: int = strawberry.field(description="The file's lines after its header.")
    done: int = strawberry.field(description="Lines read and written so far.")
    imported: int = strawberry.field(description="Records created.")
    merged: int = strawberry.field(description="Rows merged into a record they matched.")
    rejected: int = strawberry.field(description="Rows left out (see `rejectsUrl`).")
    started_at: datetime
    finished_at: datetime | None
    error: str | None = strawberry.field(description="Why a FAILED import stopped.")
    rejects_url: str = strawberry.field(
        description="Where the rejected rows are downloaded: CSV of line and reason."
    )
    started_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who started it; null for an API key or a removed user.")
    async def started_by(self, info: Info) -> UserType | None:
        if self.started_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.started_by_id)
        return None if row is None else UserType.from_row(row)

    @classmethod
    def from_row(cls, row: ImportJob) -> ImportJobType:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=ImportKind(row.kind),
            file_name=row.file_name,
            status=JobStatus(row.status),
            total=row.total,
            done=row.done,
            imported=row.imported,
            merged=row.merged,
            rejected=row.rejected,
            started_at=as_utc(row.started_at),
            finished_at=None if row.finished_at is None else as_utc(row.finished_at),
            error=row.error,
            rejects_url=REJECTS_URL.format(job_id=row.id),
            started_by_id=row.started_by,
        )


@strawberry.type
class ImportJobQuery:
    @strawberry.field(permission_classes=[CanWrite], description="One import job, by its id.")
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJobType:
        return ImportJobType.from_row(await info.context.services.import_jobs.job(id))

    @strawberry.field(permission_classes=[CanWrite], description="Import jobs, newest first.")
    async def import_jobs(
        self, info: Info, kind: ImportKind | None = None, first: int = 20
    ) -> list[ImportJobType]:
        rows = await info.context.services.import_jobs.jobs(
            None if kind is None else kind.value, first
        )
        return [ImportJobType.from_row(row) for row in rows]
