"""`crm import` and `crm export`: contacts and companies to and from CSV files.

An import checks the whole file first (UTF-8, a header, its delimiter) and stops with one
line before anything is written when it is bad. It then streams the rows: read, checked
in worker processes (parsing numbers is most of the work), and written a batch per
transaction, with a progress bar on a terminal. Rows that cannot be imported go to the
rejects file with their line and the reason; the exit status is 3 when there are any.
"""

from __future__ import annotations

import asyncio
import csv
import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from crm.csv_files import BadFile, ImportFile, RejectsFile, default_rejects_path, open_import, rows
from crm.domain.company_import import CompanyImport, read_company
from crm.domain.config import DomainConfig
from crm.domain.contact_import import ContactImport, read_contact
from crm.domain.csv_format import COMPANIES, CONTACTS, Columns, RecordFormat
from crm.domain.errors import DomainError
from crm.domain.exports import company_rows, contact_rows
from crm.domain.record_import import ImportTotals, Rejected, read_all
from crm.engine import bind_tables, close_engine, make_engine, open_engine
from crm.queries.imports import MAX_VALUES
from crm.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

SOME_REJECTED = 3
"""The exit status of an import that left rows out (1: nothing imported, a bad file)."""

BATCH_ROWS = 2000
MAX_BATCH_ROWS = MAX_VALUES
"""A batch's records are read back by id in one statement (`crm.queries.imports.MAX_VALUES`)."""


class Importer(Protocol):
    totals: ImportTotals

    async def write(self, records: Sequence[Any]) -> list[Rejected]: ...


Reader = Callable[[Columns, int, list[str], str], Any]
"""Checks one row: `read_contact`, `read_company`."""


@dataclass(frozen=True)
class _Kind:
    form: RecordFormat
    read: Reader
    importer: Callable[[DomainConfig], Importer]
    export: Callable[[], AsyncIterator[list[str]]]


_KINDS = {
    "contacts": _Kind(CONTACTS, read_contact, ContactImport, contact_rows),
    "companies": _Kind(COMPANIES, read_company, CompanyImport, company_rows),
}


@click.command("import")
@click.argument("noun", type=click.Choice(list(_KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where rejected rows go (line, reason). Default: FILE.rejects.csv beside the file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH_ROWS),
    default=BATCH_ROWS,
    show_default=True,
    help="Rows written per transaction; memory grows with it, not with the file.",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Processes that check rows (0: none, in this process). Default: one per CPU.",
)
def import_command(
    noun: str,
    file: Path,
    rejects: Path | None,
    as_json: bool,
    batch_size: int,
    workers: int | None,
) -> None:
    """Import contacts or companies from a CSV file (see the README for its columns)."""
    kind = _KINDS[noun]
    settings = _settings()
    try:
        checked = open_import(file, kind.form)
    except BadFile as exc:
        raise click.ClickException(str(exc)) from None
    rejects_path = rejects or default_rejects_path(file)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if checked.data_lines <= batch_size:
        workers = 0  # one batch: starting processes would cost more than it saves
    with rejects_path.open("w", newline="", encoding="utf-8") as target:
        totals = _with_database(
            settings,
            lambda config: _import(kind, checked, config, target, batch_size, workers),
        )
    if as_json:
        click.echo(json.dumps(totals.as_dict()))
    else:
        click.echo(
            f"{totals.imported} {noun} imported, {totals.merged} rows merged,"
            f" {totals.rejected} rejected" + (f" (see {rejects_path})" if totals.rejected else "")
        )
    if totals.rejected:
        sys.exit(SOME_REJECTED)


@click.command("export")
@click.argument("noun", type=click.Choice(list(_KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def export_command(noun: str, file: Path) -> None:
    """Write every contact or company to a CSV file (`-` prints it), in the import format."""
    kind = _KINDS[noun]
    settings = _settings()

    async def export(target: TextIO) -> int:
        writer = csv.writer(target)
        count = -1
        async for row in kind.export():
            writer.writerow(row)
            count += 1
        return count

    if str(file) == "-":
        _with_database(settings, lambda _: export(sys.stdout))
        return
    with file.open("w", newline="", encoding="utf-8") as target:
        count = _with_database(settings, lambda _: export(target))
    click.echo(f"{count} {noun} exported to {file}", err=True)


COMMANDS = (import_command, export_command)


async def _import(
    kind: _Kind,
    file: ImportFile,
    config: DomainConfig,
    target: TextIO,
    batch_size: int,
    workers: int,
) -> ImportTotals:
    importer = kind.importer(config)
    rejects = RejectsFile(target)
    read = partial(read_all, kind.read, file.columns)
    loop = asyncio.get_running_loop()
    # Spawned, not forked: this process runs threads (SQLite's) that a fork would copy mid-work.
    pool: Executor | None = (
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        if workers > 1
        else None
    )
    in_flight: deque[tuple[Awaitable[Sequence[Any]], list[Rejected], int]] = deque()
    with _progress(file.data_lines) as progress:
        task = progress.add_task("rows", total=file.data_lines)

        async def write_oldest() -> None:
            checked, unreadable, lines = in_flight.popleft()
            rejects.write(await importer.write([*unreadable, *await checked]))
            progress.advance(task, lines)

        try:
            for batch in _batches(rows(file), batch_size):
                cells = [item for item in batch if not isinstance(item, Rejected)]
                unreadable = [item for item in batch if isinstance(item, Rejected)]
                if pool is None:
                    checked: Awaitable[Sequence[Any]] = _done(read(cells, config.default_region))
                else:
                    checked = loop.run_in_executor(pool, read, cells, config.default_region)
                in_flight.append((checked, unreadable, len(batch)))
                # A few batches ahead, so the workers check rows while one is written.
                if len(in_flight) > max(workers, 1):
                    await write_oldest()
            while in_flight:
                await write_oldest()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return importer.totals


async def _done(value: Sequence[Any]) -> Sequence[Any]:
    return value


def _batches(
    items: Iterator[tuple[int, list[str]] | Rejected], size: int
) -> Iterator[list[tuple[int, list[str]] | Rejected]]:
    while batch := list(islice(items, size)):
        yield batch


def _progress(total: int) -> Progress:
    """Rows done, their rate and the time left, on standard error; nothing when it is not
    a terminal."""
    console = Console(stderr=True)
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )


class _RateColumn(ProgressColumn):
    """Rows a second, once there is a rate to show."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _with_database(settings: Settings, work: Callable[[DomainConfig], Awaitable[T]]) -> T:
    """Open the database, run `work`, close it; a domain error becomes one line."""

    async def main() -> T:
        engine = make_engine(settings.database_url)
        bind_tables(engine)
        await open_engine(engine, pool_min=1, pool_max=2)
        try:
            return await work(DomainConfig.from_settings(settings))
        finally:
            await close_engine(engine)

    try:
        return asyncio.run(main())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
