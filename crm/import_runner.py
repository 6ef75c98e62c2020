"""The console's imports, run in the server in the background: an import of a million rows
takes minutes, which no request should wait for.

A job runs the same pipeline as `crm import` (`crm.bulk_import`), keeping its progress and
its rejected rows in the database (`crm.domain.import_jobs`) after each batch. Rows are
checked in one worker process, never in the server's own: parsing numbers is CPU work that
would hold the event loop (and every request this worker answers) for the length of a
batch; one process, not one per CPU, since the server's workers need the other cores. A file
of one batch is checked in the server's process, where starting a process would cost more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import uuid
from pathlib import Path

from crm.bulk_import import Kind, checking_pool, import_rows
from crm.csv_files import ImportFile
from crm.domain.config import DomainConfig
from crm.domain.errors import DomainError
from crm.domain.import_jobs import HEARTBEAT_S, ImportJobService
from crm.domain.record_import import ImportTotals, Rejected
from crm.exception_text import describe

log = logging.getLogger("crm.imports")

BATCH_ROWS = 1000
"""Rows per batch in the server: smaller than the command's, so that writing one (which runs
on the event loop) holds the requests this worker answers for a shorter while."""
STOPPED = "the server stopped during the import; import the file again"


class ImportRunner:
    """Runs import jobs as tasks of the server's event loop; stopped with the app."""

    def __init__(self, jobs: ImportJobService, config: DomainConfig) -> None:
        self._jobs = jobs
        self._config = config
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, job_id: uuid.UUID, kind: Kind, file: ImportFile, folder: Path) -> None:
        """Import `file` for the job in the background; `folder` (the upload's) is removed
        when it ends, however it ends."""
        task = asyncio.create_task(self._run(job_id, kind, file, folder), name=f"import {job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel the running jobs (each marked failed) and wait for them."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait(self) -> None:
        """Until every running job ended (for tests and a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, job_id: uuid.UUID, kind: Kind, file: ImportFile, folder: Path) -> None:
        heart = asyncio.create_task(self._heartbeat(job_id))
        pool = checking_pool(1) if file.data_lines > BATCH_ROWS else None
        done = 0

        async def on_batch(lines: int, rejected: list[Rejected], totals: ImportTotals) -> None:
            nonlocal done
            done += lines
            await self._jobs.advance(job_id, done, totals, rejected)

        try:
            await import_rows(
                kind,
                file,
                self._config,
                batch_size=BATCH_ROWS,
                pool=pool,
                ahead=1,
                on_batch=on_batch,
            )
            await self._jobs.finish(job_id, file.data_lines)
        except asyncio.CancelledError:
            await self._end_failed(job_id, STOPPED)
            raise
        except DomainError as exc:
            await self._end_failed(job_id, exc.message)
        except Exception as exc:
            log.error("import job %s failed: %s", job_id, describe(exc))
            await self._end_failed(job_id, "the import failed on an unexpected error")
        finally:
            heart.cancel()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            shutil.rmtree(folder, ignore_errors=True)

    async def _end_failed(self, job_id: uuid.UUID, error: str) -> None:
        try:
            await asyncio.shield(self._jobs.fail(job_id, error))
        except Exception as exc:  # the database is away: the stale heartbeat will tell
            log.warning("import job %s could not be marked failed: %s", job_id, describe(exc))

    async def _heartbeat(self, job_id: uuid.UUID) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._jobs.beat(job_id)
            except Exception as exc:
                log.warning("import job %s heartbeat failed: %s", job_id, describe(exc))
