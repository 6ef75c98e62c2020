"""Console import jobs: where an import run in the background stands, kept in the database
so that every worker and server can tell the page (the one running it may be another).

One import of a kind runs at a time: the job's `running_kind` is unique while it runs. A
running job touches its heartbeat every few seconds; one whose heartbeat stopped lost its
server (it died, or was stopped hard) and is marked failed, so it neither shows as running
for ever nor keeps the next import out.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from crm.domain.errors import Conflict, NotFound
from crm.domain.record_import import ImportTotals, Rejected, new_id
from crm.domain.validation import as_utc, now, parse_id
from crm.queries import import_jobs as queries
from crm.queries.driver_errors import is_unique_violation
from crm.queries.transactions import transaction
from crm.tables import ImportJob, ImportReject

HEARTBEAT_S = 5.0
"""How often a running job says it is alive."""
STALE_S = 60.0
"""A running job silent this long has lost its server."""
LOST = "the server running the import stopped before it ended; import the file again"
MAX_ERROR_CHARS = 500


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJobService:
    """Start, advance, end and read import jobs."""

    async def begin(
        self, kind: str, file_name: str, total: int, started_by: str | None
    ) -> ImportJob:
        """A new running job; CONFLICT while another import of `kind` runs."""
        await self.fail_stale()
        at = now()
        row = ImportJob(
            id=new_id(),
            kind=kind,
            running_kind=kind,
            file_name=file_name[:255],
            status=JobStatus.RUNNING.value,
            total=total,
            started_by=_user_id(started_by),
            started_at=at,
            heartbeat_at=at,
        )
        try:
            async with transaction():
                await queries.insert_job(row)
        except Exception as exc:
            if is_unique_violation(exc):
                raise self._busy(kind) from None
            raise
        return row

    async def ensure_idle(self, kind: str) -> None:
        """CONFLICT when an import of `kind` runs: checked before a file is received, so
        that nobody uploads a large file only to hear it."""
        await self.fail_stale()
        if await queries.running_of(kind) is not None:
            raise self._busy(kind)

    async def advance(
        self, job_id: uuid.UUID, done: int, totals: ImportTotals, rejected: Sequence[Rejected]
    ) -> None:
        async with transaction():
            await queries.advance(job_id, done, totals, rejected, now())

    async def beat(self, job_id: uuid.UUID) -> None:
        async with transaction():
            await queries.beat(job_id, now())

    async def finish(self, job_id: uuid.UUID, lines: int) -> None:
        """The job is done: all its `lines` read (blank ones too, which no batch counts)."""
        async with transaction():
            await queries.end(job_id, JobStatus.DONE.value, now(), None, done=lines)

    async def fail(self, job_id: uuid.UUID, error: str) -> None:
        async with transaction():
            await queries.end(job_id, JobStatus.FAILED.value, now(), error[:MAX_ERROR_CHARS])

    async def fail_stale(self) -> None:
        """Mark failed every running job whose heartbeat stopped."""
        at = now()
        async with transaction():
            await queries.fail_stale(_stale_before(at), at, LOST)

    async def job(self, job_id: str | uuid.UUID) -> ImportJob:
        """A job as it stands; NOT_FOUND for an unknown id."""
        found = parse_id(job_id, entity="import job")
        row = await queries.job(found)
        if row is not None and _lost(row):
            await self.fail_stale()
            row = await queries.job(found)
        if row is None:
            raise NotFound(f"no import job {job_id}", field="id")
        return row

    async def jobs(self, kind: str | None, limit: int) -> list[ImportJob]:
        """The newest jobs first."""
        limit = max(1, min(limit, 100))
        rows = await queries.jobs(kind, limit)
        if any(_lost(row) for row in rows):
            await self.fail_stale()
            rows = await queries.jobs(kind, limit)
        return rows

    async def rejects(self, job_id: uuid.UUID, page_size: int = 1000) -> AsyncIterator[Rejected]:
        """The job's rejected rows in line order, a page at a time."""
        after: tuple[int, uuid.UUID] | None = None
        while page := await queries.rejects_after(job_id, after, page_size):
            last: ImportReject = page[-1]
            after = (last.line, last.id)
            for row in page:
                yield Rejected(row.line, row.reason)

    @staticmethod
    def _busy(kind: str) -> Conflict:
        return Conflict(f"an import of {kind} is running; wait until it ends", field="file")


def _lost(row: ImportJob) -> bool:
    """Whether a job shows as running though its heartbeat stopped (its server is gone)."""
    return row.status == JobStatus.RUNNING.value and as_utc(row.heartbeat_at) < _stale_before(now())


def _stale_before(at: datetime) -> datetime:
    """A running job whose heartbeat is older than this at `at` has lost its server."""
    return at - timedelta(seconds=STALE_S)


def _user_id(subject: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(subject) if subject else None
    except ValueError:
        return None
