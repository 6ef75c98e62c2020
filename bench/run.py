"""The lookup benchmark, in one command: data, servers, load, and a table of results.

For each data size it (re)generates the PostgreSQL database when needed, serves the
CRM (the app factory under uvicorn) and the bare asyncpg endpoint side by side on
loopback, and drives both with the same lookups at each concurrency, in turns.

    python -m bench.run                          # 10,000 and 1,000,000 contacts
    python -m bench.run --sizes 10000 --duration 5

The CRM is measured through FindContact (`GET /ringotel/v1/contacts/lookup`) when
the app serves that route, else through GraphQL `lookupContacts` on `/graphql`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import asyncpg

from bench.generate import ensure
from bench.http import Client
from bench.load import Load, Measured, check, drive, in_turns, requests_work
from bench.server import HOST, Server, serve

FIND_CONTACT = "/ringotel/v1/contacts/lookup?phone="
GRAPHQL_DOCUMENT = (
    "query FindContact($phone: String!) { lookupContacts(phone: $phone) {"
    " entity match number kind mainLine"
    " contact { id firstName lastName email jobTitle phones { number kind } }"
    " company { id name } } }"
)
SECRET_KEY = os.environ.get("CRM_SECRET_KEY", "bench-secret-key-long-enough-for-hs256")
RESULTS = Path(__file__).parent / "results" / "lookup.json"
"""Not `latest.json`: that is the whole suite's (`python -m bench`)."""
ROUNDS = 3


@dataclass
class Result:
    contacts: int
    target: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    """Server process CPU time per request: what a lookup costs, whatever else runs."""


@contextmanager
def serve_on(app: str, database_url: str) -> Iterator[Server]:
    """Run `app` (an app factory) on `database_url`, GraphiQL off."""
    env = {
        **os.environ,
        "CRM_DATABASE_URL": database_url,
        "CRM_GRAPHIQL": "false",
        "CRM_SECRET_KEY": SECRET_KEY,
    }
    with serve(app, env) as server:
        yield server


async def sample_phones(database_url: str, count: int = 2000) -> list[str]:
    """Numbers callers have, written as calls deliver them, plus one in ten unknown."""
    rng = random.Random(7)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT e164 FROM crm_phone_number TABLESAMPLE SYSTEM (5) REPEATABLE (7)"
            " WHERE e164 IS NOT NULL LIMIT $1",
            count,
        )
    finally:
        await conn.close()
    phones = []
    for row in rows:
        e164: str = row["e164"]
        style = rng.randrange(4)
        if style == 0:
            phones.append(e164)
        elif style == 1:
            phones.append(e164[1:])  # digits with country code, as Ringotel's call events send
        elif style == 2 and e164.startswith("+1"):
            phones.append(f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}")
        else:
            phones.append(f"00{e164[1:3]} {e164[3:6]} {e164[6:]}")
        if rng.random() < 0.1:
            phones.append(f"+1 415 {rng.randrange(200, 999)} {rng.randrange(10**4):04d}")
    rng.shuffle(phones)
    return phones


def api_key(database_url: str) -> str:
    """A fresh API key for FindContact and GraphQL reads, made with the CRM's own command."""
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_SECRET_KEY": SECRET_KEY}
    command = [sys.executable, "-m", "crm.cli", "apikey", "create", "--name", "bench", "--json"]
    command += ["--scope", "crm:read", "--scope", "ringotel"]
    done = subprocess.run(command, check=True, env=env, capture_output=True, text=True)  # noqa: S603
    key: str = json.loads(done.stdout)["api_key"]
    return key


def _crm_request(target: str, phone: str) -> tuple[str, str, bytes | None]:
    if target == "findcontact":
        return "GET", FIND_CONTACT + quote(phone), None
    body = json.dumps({"query": GRAPHQL_DOCUMENT, "variables": {"phone": phone}}).encode()
    return "POST", "/graphql", body


def _baseline_request(phone: str) -> tuple[str, str, bytes | None]:
    return "GET", "/lookup?phone=" + quote(phone), None


async def _crm_target(port: int, phone: str, headers: dict[str, str]) -> str:
    client = await Client.open(HOST, port, headers)
    try:
        status, _ = await client.request("GET", FIND_CONTACT + quote(phone))
    finally:
        client.close()
    # Until the facade serves FindContact, the path answers 404 or 405 (another route's).
    return "findcontact" if status == 200 else "graphql"


def _result(contacts: int, target: str, concurrency: int, m: Measured) -> Result:
    return Result(
        contacts=contacts,
        target=target,
        concurrency=concurrency,
        requests=len(m.latencies),
        errors=m.errors,
        seconds=m.seconds,
        throughput=m.throughput,
        p50_ms=m.p50_ms,
        p99_ms=m.p99_ms,
        cpu_ms=m.cpu_ms,
    )


@dataclass
class Target:
    """One server under measurement: the CRM or the bare endpoint, on one data set."""

    contacts: int
    name: str
    server: Server
    requests: list[tuple[str, str, bytes | None]]
    headers: dict[str, str]


async def prepare(contacts: int, database_url: str) -> tuple[list[str], dict[str, str]]:
    """The data set (generated when missing or of another size), its sample numbers and
    the CRM's credentials."""
    await ensure(database_url, contacts)
    phones = await sample_phones(database_url)
    return phones, {"Authorization": f"Bearer {api_key(database_url)}"}


async def measure(
    targets: list[Target],
    concurrencies: list[int],
    duration: float,
    warmup: float,
    rounds: int = ROUNDS,
) -> list[Result]:
    """Drive every target at each concurrency, all of them in turn in short rounds, so
    that a noisy neighbour on the machine weighs on every figure alike (the CRM against
    the bare endpoint, and one data size against the other)."""
    for t in targets:
        await check(t.server.port, t.requests[0], t.headers)
        await drive(t.server.port, t.requests, 8, warmup, t.headers)  # fill pools and caches
    loads = [Load(t.server, requests_work(t.requests), t.headers) for t in targets]
    results = []
    for concurrency in concurrencies:
        measured = await in_turns(loads, concurrency, rounds, duration)
        for t, m in zip(targets, measured, strict=True):
            result = _result(t.contacts, t.name, concurrency, m)
            print(
                f"  {t.contacts:>9,} {t.name:<16} c={concurrency:<3} {result.throughput:8.0f} req/s"
                f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                f"  cpu {result.cpu_ms:5.2f} ms/req  errors {m.errors}"
            )
            results.append(result)
    return results


@asynccontextmanager
async def serving(sizes: list[int], server_url: str, prefix: str) -> AsyncIterator[list[Target]]:
    """The CRM and the bare endpoint served on every data size at once, until the block ends."""
    prepared = {size: await prepare(size, f"{server_url}/{prefix}_{size}") for size in sizes}
    with ExitStack() as stack:
        targets = []
        for size, (phones, crm_headers) in prepared.items():
            url = f"{server_url}/{prefix}_{size}"
            crm = stack.enter_context(serve_on("facade.app:create_app", url))
            bare = stack.enter_context(serve_on("bench.baseline:create_app", url))
            kind = await _crm_target(crm.port, phones[0], crm_headers)
            targets.append(
                Target(
                    size, "crm-" + kind, crm, [_crm_request(kind, p) for p in phones], crm_headers
                )
            )
            targets.append(
                Target(size, "asyncpg", bare, [_baseline_request(p) for p in phones], {})
            )
        yield targets


async def bench(
    sizes: list[int],
    server_url: str,
    prefix: str,
    concurrencies: list[int],
    duration: float,
    warmup: float,
) -> list[Result]:
    """Serve the CRM and the bare endpoint on every data size at once and measure them."""
    async with serving(sizes, server_url, prefix) as targets:
        return await measure(targets, concurrencies, duration, warmup)


def table(results: list[Result]) -> str:
    """The results as a Markdown table: the CRM's throughput as a ratio to the bare
    endpoint's, and its p50 as a ratio to its p50 on the smallest data set."""
    lines = [
        "| contacts | clients | CRM req/s | CRM p50 ms | CRM p99 ms | CRM CPU ms/req | asyncpg req/s | asyncpg p50 ms | asyncpg p99 ms | asyncpg CPU ms/req | throughput ratio | p50 / p50 at fewest |",  # noqa: E501
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    bare = {(r.contacts, r.concurrency): r for r in results if r.target == "asyncpg"}
    crm = sorted(
        (r for r in results if r.target != "asyncpg"), key=lambda r: (r.contacts, r.concurrency)
    )
    fewest = {r.concurrency: r for r in crm if r.contacts == crm[0].contacts} if crm else {}
    for r in crm:
        b = bare[(r.contacts, r.concurrency)]
        ratio = r.throughput / b.throughput
        growth = r.p50_ms / fewest[r.concurrency].p50_ms
        lines.append(
            f"| {r.contacts:,} | {r.concurrency} | {r.throughput:.0f} | {r.p50_ms:.2f}"
            f" | {r.p99_ms:.2f} | {r.cpu_ms:.2f} | {b.throughput:.0f} | {b.p50_ms:.2f}"
            f" | {b.p99_ms:.2f} | {b.cpu_ms:.2f} | {ratio:.2f} | {growth:.2f} |"
        )
    return "\n".join(lines)


def load_average() -> str:
    """The load average over 1, 5 and 15 minutes: how busy the machine was."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description="Caller lookup benchmark.")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--prefix", default="crm_bench", help="database names start with this")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    results: list[Result] = []
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average before: {load_average()}")
    sizes = [int(s) for s in args.sizes.split(",")]
    results += asyncio.run(
        bench(sizes, args.server, args.prefix, concurrencies, args.duration, args.warmup)
    )
    print(f"load average after: {load_average()}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print()
    print(table(results))


if __name__ == "__main__":
    main()
