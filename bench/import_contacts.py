"""How long `crm import contacts` takes for a million contacts with two numbers each, against
PostgreSQL's own `COPY` of the same rows into the same tables.

The script writes a CSV file of `--rows` contacts (a work number written nationally,
`(212) 555-0123`, and a mobile written internationally, `+1 415 555 0123`; one company per
hundred contacts), migrates a fresh database, and times `crm import contacts FILE --json`
as an operator runs it. On PostgreSQL it then empties the tables and times the baseline:
the same contacts, companies and numbers, their keys worked out beforehand, sent with
asyncpg's `copy_records_to_table` in chunks of 50,000, with no checks and no merging.
It prints both and their ratio.

Usage:
    python -m bench.import_contacts --database-url postgresql://postgres@127.0.0.1/crm_bench
    python -m bench.import_contacts --database-url sqlite:////tmp/bench.sqlite --rows 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from crm.domain.search import contact_search_text, fold

AREAS = ["201", "212", "305", "310", "312", "415", "512", "617", "646", "702", "818"]
CHUNK = 50_000
CRM = str(Path(sys.executable).parent / "crm")


def numbers(i: int) -> tuple[str, str]:
    """Contact `i`'s work and mobile numbers as national digits (area, exchange, line)."""
    area = AREAS[i % len(AREAS)]
    n = i // len(AREAS)
    line = f"{n % 10000:04d}"
    return f"{area}{200 + n // 10000:03d}{line}", f"{area}{600 + n // 10000:03d}{line}"


def people(rows: int) -> Iterator[tuple[int, str, str, str, str, str, str]]:
    """`(i, first, last, email, company, work, mobile)` for each contact."""
    for i in range(rows):
        work, mobile = numbers(i)
        yield (i, f"First{i}", f"Last{i}", f"p{i}@example.com", f"Company {i // 100}", work, mobile)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("first_name,last_name,email,company,phone_work,phone_mobile\n")
        for _, first, last, email, company, work, mobile in people(rows):
            work_text = f"({work[:3]}) {work[3:6]}-{work[6:]}"
            mobile_text = f"+1 {mobile[:3]} {mobile[3:6]} {mobile[6:]}"
            out.write(f"{first},{last},{email},{company},{work_text},{mobile_text}\n")


def crm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own command)
        [CRM, *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def import_command(path: Path, workers: int | None = None) -> list[str]:
    """`crm import contacts` of `path` as an operator runs it, its summary in JSON."""
    extra = ["--workers", str(workers)] if workers is not None else []
    return [CRM, "import", "contacts", str(path), "--json", *extra]


def time_import(
    env: dict[str, str], path: Path, workers: int | None = None
) -> tuple[float, dict[str, int]]:
    """Seconds for `crm import contacts` of `path` into the CRM of `env`, and its summary."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own command)
        import_command(path, workers), env=env, capture_output=True, text=True, check=True
    )
    took = time.perf_counter() - started
    summary: dict[str, int] = json.loads(done.stdout)
    return took, summary


async def copy_baseline(database_url: str, rows: int) -> float:
    """Seconds for COPY of the same rows (keys precomputed) into the emptied tables."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("TRUNCATE crm_phone_number, crm_contact, crm_company CASCADE")
        at = datetime.now(UTC)
        companies = {f"Company {i // 100}": uuid.uuid4() for i in range(0, rows, 100)}
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "crm_company",
            records=[(cid, name, at, at, fold(name)) for name, cid in companies.items()],
            columns=["id", "name", "created_at", "updated_at", "search_text"],
        )
        batch: list[tuple[object, ...]] = []
        phones: list[tuple[object, ...]] = []
        for i, first, last, email, company, work, mobile in people(rows):
            cid = uuid.uuid4()
            batch.append(
                (
                    cid, first, last, email, companies[company], at, at,
                    contact_search_text(first, last, email),
                )
            )  # fmt: skip
            for position, (kind, digits, text) in enumerate(
                (("work", work, work), ("mobile", mobile, f"+1{mobile}"))
            ):
                phones.append(
                    (
                        uuid.uuid4(), cid, kind, text, f"+1{digits}", digits, digits[-7:],
                        position, at,
                    )
                )  # fmt: skip
            if len(batch) == CHUNK or i == rows - 1:
                await connection.copy_records_to_table(
                    "crm_contact",
                    records=batch,
                    columns=[
                        "id", "first_name", "last_name", "email", "company", "created_at",
                        "updated_at", "search_text",
                    ],
                )  # fmt: skip
                await connection.copy_records_to_table(
                    "crm_phone_number",
                    records=phones,
                    columns=[
                        "id", "contact", "kind", "number", "e164", "national", "suffix",
                        "position", "created_at",
                    ],
                )  # fmt: skip
                batch, phones = [], []
        return time.perf_counter() - started
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty database of its own")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None, help="`crm import --workers`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crm-import-bench-") as folder:
        path = Path(folder) / "contacts.csv"
        write_csv(path, args.rows)
        env = {
            **os.environ,
            "CRM_DATABASE_URL": args.database_url,
            "CRM_SECRET_KEY_FILE": str(Path(folder) / "secret-key"),
            "CRM_DEFAULT_REGION": "US",
        }
        crm(env, "migrate")
        took, summary = time_import(env, path, args.workers)
    print(f"crm import: {args.rows:,} rows, {2 * args.rows:,} numbers: {took:.1f} s {summary}")
    if not args.database_url.startswith("postgres"):
        return 0
    baseline = asyncio.run(copy_baseline(args.database_url, args.rows))
    print(f"COPY of the same rows: {baseline:.1f} s; ratio {took / baseline:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
