"""Scenario 6: `crm import contacts` of `options.import_rows` contacts (two numbers each, one
company per hundred) on PostgreSQL, against `COPY` of the same rows into the same tables.

The measuring is `bench.import_contacts`'s: a CSV file written beforehand, a fresh
migrated database of its own, the command run as an operator runs it (one worker per CPU),
then the tables emptied and the same contacts, companies and numbers (their keys worked out
beforehand) copied with asyncpg's `copy_records_to_table`, with every index in place. The
issue sets no ratio to COPY: both rates and their ratio are reported. Its goal for a million
contacts, under 3 minutes on PostgreSQL, is a check when a million rows are imported.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from pathlib import Path

from bench import profiling
from bench.import_contacts import copy_baseline, import_command, time_import, write_csv
from bench.results_model import Check, Measurement, ScenarioResult, SuiteOptions
from bench.server import scratch_crm

KEY = "import_contacts"
MILLION = 1_000_000
LIMIT_S = 180.0
PROFILED_ROWS = 50_000


def run(options: SuiteOptions) -> ScenarioResult:
    rows = options.import_rows
    result = ScenarioResult(KEY, "6. Import of contacts vs COPY")
    with tempfile.TemporaryDirectory(prefix="crm-bench-import-") as folder:
        path = Path(folder) / "contacts.csv"
        write_csv(path, rows)
        with scratch_crm(
            options.server, prefix=options.scratch_prefix, CRM_DEFAULT_REGION="US"
        ) as scratch:
            took, summary = time_import(scratch.env, path)
            copy = asyncio.run(copy_baseline(scratch.env["CRM_DATABASE_URL"], rows))
        result.measurements += [
            Measurement(
                "CRM, crm import contacts",
                throughput=rows / took,
                unit="rows/s",
                extra={"seconds": took, **summary},
            ),
            Measurement("COPY", throughput=rows / copy, unit="rows/s", extra={"seconds": copy}),
        ]
        result.notes.append(
            f"{rows:,} contacts with {2 * rows:,} numbers: crm import {took:.1f} s, COPY"
            f" {copy:.1f} s; the import takes {took / copy:.1f} times as long (no goal set)."
        )
        if rows == MILLION:
            result.checks.append(
                Check("1,000,000 contacts imported", took, LIMIT_S, at_least=False, unit="s")
            )
        if options.profile and not result.met:
            _profile(options, path, result)
    return result


def _profile(options: SuiteOptions, path: Path, result: ScenarioResult) -> None:
    """Profile a second import (its first rows) into a fresh database from start to end,
    workers included, so that its start-up weighs no more than it does in a real run."""
    part = path.with_name("part.csv")
    write_csv(part, min(PROFILED_ROWS, options.import_rows))
    with scratch_crm(
        options.server, prefix=options.scratch_prefix, CRM_DEFAULT_REGION="US"
    ) as scratch:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            import_command(part), env=scratch.env, stdout=subprocess.DEVNULL
        )
        out = profiling.profile_path(options.results, KEY)
        top = profiling.record(process.pid, None, out).finish(timeout=None)
        process.wait()
    result.notes.append(
        f"Profiled over an import of {min(PROFILED_ROWS, options.import_rows):,} rows."
    )
    profiling.attach(result, options.results, top)
