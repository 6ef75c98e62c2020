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
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO, TypeVar

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

from crm.bulk_import import (
    BATCH_ROWS,
    KINDS,
    MAX_BATCH_ROWS,
    Kind,
    checking_pool,
    import_rows,
)
from crm.csv_files import BadFile, ImportFile, RejectsFile, default_rejects_path, open_import
from crm.domain.config import DomainConfig
from crm.domain.errors import DomainError
from crm.domain.record_import import ImportTotals, Rejected
from crm.engine import bind_tables, close_engine, make_engine, open_engine
from crm.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

SOME_REJECTED = 3
"""The exit status of an import that left rows out (1: nothing imported, a bad file)."""


@click.command("import")
@click.argument("noun", type=click.Choice(list(KINDS)))
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
    kind = KINDS[noun]
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
@click.argument("noun", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def export_command(noun: str, file: Path) -> None:
    """Write every contact or company to a CSV file (`-` prints it), in the import format."""
    kind = KINDS[noun]
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
    kind: Kind,
    file: ImportFile,
    config: DomainConfig,
    target: TextIO,
    batch_size: int,
    workers: int,
) -> ImportTotals:
    rejects = RejectsFile(target)
    pool = checking_pool(workers) if workers > 1 else None
    with _progress(file.data_lines) as progress:
        task = progress.add_task("rows", total=file.data_lines)

        async def on_batch(lines: int, rejected: list[Rejected], _: ImportTotals) -> None:
            rejects.write(rejected)
            progress.advance(task, lines)

        try:
            return await import_rows(
                kind,
                file,
                config,
                batch_size=batch_size,
                pool=pool,
                ahead=workers,
                on_batch=on_batch,
            )
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)


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
