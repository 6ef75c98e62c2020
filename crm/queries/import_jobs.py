"""The statements of console import jobs: the job's row and its rejected rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm.domain.record_import import ImportTotals, Rejected, new_id
from crm.queries.paging import beyond
from crm.tables import ImportJob, ImportReject

REJECT_COLUMNS = ("id", "job", "line", "reason")


async def insert_job(row: ImportJob) -> None:
    """A new job; a unique violation when one of its kind is running."""
    await ImportJob.insert(row)


async def job(job_id: uuid.UUID) -> ImportJob | None:
    found: ImportJob | None = await ImportJob.objects().where(ImportJob.id == job_id).first()
    return found


async def jobs(kind: str | None, limit: int) -> list[ImportJob]:
    """The newest jobs first, of one kind or all."""
    query = ImportJob.objects().order_by(ImportJob.started_at, ascending=False).limit(limit)
    if kind is not None:
        query = query.where(ImportJob.kind == kind)
    return await query


async def running_of(kind: str) -> ImportJob | None:
    found: ImportJob | None = (
        await ImportJob.objects().where(ImportJob.running_kind == kind).first()
    )
    return found


async def advance(
    job_id: uuid.UUID, done: int, totals: ImportTotals, rejected: Sequence[Rejected], at: datetime
) -> None:
    """Count a written batch on the job and keep its rejected rows (in the caller's
    transaction)."""
    if rejected:
        await ImportReject.insert(
            *(
                ImportReject(id=new_id(), job=job_id, line=row.line, reason=row.reason)
                for row in rejected
            )
        )
    await ImportJob.update(
        {
            ImportJob.done: done,
            ImportJob.imported: totals.imported,
            ImportJob.merged: totals.merged,
            ImportJob.rejected: totals.rejected,
            ImportJob.heartbeat_at: at,
        }
    ).where(ImportJob.id == job_id)


async def beat(job_id: uuid.UUID, at: datetime) -> None:
    await ImportJob.update({ImportJob.heartbeat_at: at}).where(
        (ImportJob.id == job_id) & (ImportJob.status == "running")
    )


async def end(
    job_id: uuid.UUID, status: str, at: datetime, error: str | None, done: int | None = None
) -> None:
    """The job stops running: done (every line read: `done`) or failed, with the reason."""
    values: dict[Any, Any] = {} if done is None else {ImportJob.done: done}
    await ImportJob.update(
        {
            **values,
            ImportJob.status: status,
            ImportJob.running_kind: None,
            ImportJob.finished_at: at,
            ImportJob.error: error,
        }
    ).where((ImportJob.id == job_id) & (ImportJob.status == "running"))


async def fail_stale(beat_before: datetime, at: datetime, error: str) -> None:
    """Every running job whose heartbeat stopped before `beat_before` has failed."""
    await ImportJob.update(
        {
            ImportJob.status: "failed",
            ImportJob.running_kind: None,
            ImportJob.finished_at: at,
            ImportJob.error: error,
        }
    ).where((ImportJob.status == "running") & (ImportJob.heartbeat_at < beat_before))


async def rejects_after(
    job_id: uuid.UUID, after: tuple[int, uuid.UUID] | None, limit: int
) -> list[ImportReject]:
    """A page of the job's rejected rows in line order, after `(line, id)`."""
    query = ImportReject.objects().where(ImportReject.job == job_id)
    if after is not None:
        query = query.where(beyond(ImportReject.line, ImportReject.id, *after))
    return await query.order_by(ImportReject.line, ImportReject.id).limit(limit)
