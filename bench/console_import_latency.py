"""How much a console import slows the requests the same server answers meanwhile.

Starts `crm serve` (one worker, SQLite in a temporary folder, or PostgreSQL with
`--postgres URL`), asks a small GraphQL page of contacts again and again at rest, then
uploads a generated CSV to `POST /import/contacts` and asks the same page while the
import runs in the background, until the job (read through `importJob`) has ended.
Prints the import's rows a second and the page's latency at rest and during the import
(median, 99th percentile) with their ratios: what counts, since the machine is shared.

    .venv/bin/python -m bench.console_import_latency [--rows 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import crm_serve, scratch_crm

PAGE = {"query": "{ contacts(first: 5) { nodes { id firstName } } }"}
JOB = "query($id: ID!) { importJob(id: $id) { status done } }"
PAUSE_S = 0.02


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("first_name,last_name,email,phone\n")
        for n in range(rows):
            out.write(
                f"P{n},Row{n},p{n}@example.com,+1 212 {555 + n // 10000:03d} {n % 10000:04d}\n"
            )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def page_latencies(http: httpx.Client, count: int | None, job: str | None) -> list[float]:
    """The page's latency in ms, `count` times, or until the job has ended."""
    latencies: list[float] = []
    while True:
        began = time.perf_counter()
        assert http.post("/graphql", json=PAGE).status_code == 200
        latencies.append((time.perf_counter() - began) * 1000)
        if count is not None and len(latencies) >= count:
            return latencies
        if job is not None:
            state = http.post("/graphql", json={"query": JOB, "variables": {"id": job}}).json()
            if state["data"]["importJob"]["status"] != "RUNNING":
                return latencies
        time.sleep(PAUSE_S)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the imported file")
    parser.add_argument("--postgres", default=None, help="postgresql://user@host:5432")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="crm-bench-import-") as tmp,
        scratch_crm(args.postgres) as scratch,
    ):
        people = Path(tmp) / "people.csv"
        write_csv(people, args.rows)
        key = scratch.api_key("crm:read", "crm:write")
        with (
            crm_serve(scratch.env) as server,
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as http,
        ):
            page_latencies(http, 30, None)  # warm up
            rest = page_latencies(http, 150, None)
            began = time.monotonic()
            with people.open("rb") as upload:
                started = http.post(
                    "/import/contacts", files={"file": ("people.csv", upload, "text/csv")}
                )
            assert started.status_code == 202, started.text
            busy = page_latencies(http, None, started.json()["id"])
            took = time.monotonic() - began
    median_rest, median_busy = statistics.median(rest), statistics.median(busy)
    p99_rest, p99_busy = percentile(rest, 0.99), percentile(busy, 0.99)
    print(f"import: {args.rows} rows in {took:.1f} s, {args.rows / took:,.0f} rows/s")
    print(f"page at rest:        median {median_rest:6.1f} ms  p99 {p99_rest:6.1f} ms")
    print(f"page during import:  median {median_busy:6.1f} ms  p99 {p99_busy:6.1f} ms")
    print(f"ratio: median {median_busy / median_rest:.2f}, p99 {p99_busy / p99_rest:.2f}")
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
