"""The import pipeline both doors share: `crm import` and the console's upload.

A checked file (`crm.csv_files.open_import`) is streamed a batch of rows at a time: each
batch checked (in a worker process when there is a pool: parsing numbers is most of the
work), then written in one transaction; a few batches are checked ahead while one is
written. After each batch the caller hears how many lines it held and which rows were
rejected, to show progress and keep the rejects where it keeps them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any, Protocol

from crm.csv_files import ImportFile, rows
from crm.domain.company_import import CompanyImport, read_company
from crm.domain.config import DomainConfig
from crm.domain.contact_import import ContactImport, read_contact
from crm.domain.csv_format import COMPANIES, CONTACTS, Columns, RecordFormat
from crm.domain.exports import company_rows, contact_rows
from crm.domain.record_import import ImportTotals, Rejected, read_all
from crm.queries.imports import MAX_VALUES

BATCH_ROWS = 2000
MAX_BATCH_ROWS = MAX_VALUES
"""A batch's records are read back by id in one statement (`crm.queries.imports.MAX_VALUES`)."""


class Importer(Protocol):
    totals: ImportTotals

    async def write(self, records: Sequence[Any]) -> list[Rejected]: ...


Reader = Callable[[Columns, int, list[str], str], Any]
"""Checks one row: `read_contact`, `read_company`."""

BatchDone = Callable[[int, list[Rejected], ImportTotals], Awaitable[None]]
"""Told after each written batch: the file lines it held, its rejected rows, the totals so far."""


@dataclass(frozen=True)
class Kind:
    """One kind of record a file holds: its format, its row check, its writer, its export."""

    form: RecordFormat
    read: Reader
    importer: Callable[[DomainConfig], Importer]
    export: Callable[[], AsyncIterator[list[str]]]


KINDS = {
    "contacts": Kind(CONTACTS, read_contact, ContactImport, contact_rows),
    "companies": Kind(COMPANIES, read_company, CompanyImport, company_rows),
}


def checking_pool(workers: int) -> Executor:
    """Processes that check rows. Spawned, not forked: the importing process runs threads
    (SQLite's) that a fork would copy mid-work."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


async def import_rows(
    kind: Kind,
    file: ImportFile,
    config: DomainConfig,
    *,
    batch_size: int,
    pool: Executor | None,
    ahead: int,
    on_batch: BatchDone,
) -> ImportTotals:
    """Import every row of `file`; rows are checked in `pool` (in this process when `None`),
    `ahead` batches at most waiting to be written. The caller owns the pool."""
    importer = kind.importer(config)
    read = partial(read_all, kind.read, file.columns)
    loop = asyncio.get_running_loop()
    in_flight: deque[tuple[Awaitable[Sequence[Any]], list[Rejected], int]] = deque()

    async def write_oldest() -> None:
        checked, unreadable, lines = in_flight.popleft()
        rejected = await importer.write([*unreadable, *await checked])
        await on_batch(lines, rejected, importer.totals)

    for batch in _batches(rows(file), batch_size):
        cells = [item for item in batch if not isinstance(item, Rejected)]
        unreadable = [item for item in batch if isinstance(item, Rejected)]
        if pool is None:
            checked: Awaitable[Sequence[Any]] = _done(read(cells, config.default_region))
        else:
            checked = loop.run_in_executor(pool, read, cells, config.default_region)
        in_flight.append((checked, unreadable, len(batch)))
        # A few batches ahead, so the workers check rows while one is written.
        if len(in_flight) > max(ahead, 1):
            await write_oldest()
    while in_flight:
        await write_oldest()
    return importer.totals


async def _done(value: Sequence[Any]) -> Sequence[Any]:
    return value


def _batches(
    items: Iterator[tuple[int, list[str]] | Rejected], size: int
) -> Iterator[list[tuple[int, list[str]] | Rejected]]:
    while batch := list(islice(items, size)):
        yield batch
