"""Scenario 2: the contacts list, its first page against a page 10,000 pages deep.

How it measures: on the larger data set (`options.sizes[1]` contacts, reused or made by
`bench/generate.py`), one CRM (the app factory under uvicorn, `bench/server.py`) answers
GraphQL `contacts(first: 100, after: $after)` on `/graphql` with an API key, asking for
what a list screen shows (name, email, title, company, owner, numbers). Two loads, driven
in turn in the same rounds at each concurrency (`bench/load.py`): the first page (no
cursor) and the deepest page the data has, at most 10,000 pages in (which needs 1,000,000
contacts; a smaller data set pages as deep as it goes, and a note says so). The deep
page's cursor is computed the way the server encodes it (`crm/domain/pagination.py`:
the `updated_at` and id of the row before the page), read with SQL, and the scenario stops
unless the CRM's deep page starts at the row that follows. Checks: the deep page's p50 is
within 1.2 of the first page's, and its throughput within 1.2 too (worst concurrency).
Both pages' plans (EXPLAIN ANALYZE through asyncpg of the statement the CRM runs) go into
the notes, so that a miss says why.

    python -m bench.scenarios.contacts_pages --sizes 10000 --duration 6
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import asyncpg

from bench.generate import dataset_url, ensure
from bench.load import Load, Request, check, drive, in_turns, requests_work
from bench.results_model import Check, ScenarioResult, SuiteOptions
from bench.run import api_key, serve_on
from bench.scenarios.standalone import main
from crm.domain.pagination import encode_cursor

PAGE = 100
DEEPEST = 10_000
"""How many pages deep the issue asks for."""
DOCUMENT = (
    "query ContactsList($after: String) { contacts(first: 100, after: $after) {"
    " nodes { id firstName lastName email jobTitle updatedAt company { id name }"
    " owner { id firstName lastName } phones { number kind } }"
    " pageInfo { endCursor hasNextPage } } }"
)
LIMIT = 1.2
# The statement the CRM's `keyset_page` runs for a page after a cursor, as plain SQL.
PAGE_SQL = (
    "SELECT * FROM crm_contact WHERE (updated_at > $1 OR (updated_at = $1 AND id > $2))"
    " ORDER BY updated_at, id LIMIT $3"
)
FIRST_PAGE_SQL = "SELECT * FROM crm_contact ORDER BY updated_at, id LIMIT $1"


def page_request(after: str | None) -> Request:
    body = json.dumps({"query": DOCUMENT, "variables": {"after": after}}).encode()
    return "POST", "/graphql", body


async def deep_position(database_url: str, contacts: int) -> tuple[int, datetime, str, str]:
    """The deepest page (1-based, at most `DEEPEST`), the (updated_at, id) of the row just
    before it, and the id of its first row."""
    pages = min(DEEPEST, max(2, contacts // PAGE))
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT updated_at, id FROM crm_contact ORDER BY updated_at, id OFFSET $1 LIMIT 2",
            (pages - 1) * PAGE - 1,
        )
    finally:
        await conn.close()
    before, first = rows
    return pages, before["updated_at"], str(before["id"]), str(first["id"])


async def plans(database_url: str, at: datetime, row_id: str) -> list[str]:
    """One line per page: the plan's top nodes and the execution time PostgreSQL reports."""
    conn = await asyncpg.connect(database_url)
    try:
        out = []
        for name, sql, args in (
            ("first page", FIRST_PAGE_SQL, (PAGE + 1,)),
            ("deep page", PAGE_SQL, (at, row_id, PAGE + 1)),
        ):
            lines = [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)]
            nodes = [line.strip() for line in lines if "->" in line or line is lines[0]][:3]
            timing = next((line for line in lines if line.startswith("Execution Time")), "")
            out.append(f"plan of the {name}: {' / '.join(nodes)}; {timing}")
        return out
    finally:
        await conn.close()


def _ids(body: bytes) -> list[str]:
    data: dict[str, Any] = json.loads(body)
    return [node["id"] for node in data["data"]["contacts"]["nodes"]]


async def measure(options: SuiteOptions) -> ScenarioResult:
    contacts = options.sizes[1]
    url = dataset_url(options.server, options.prefix, contacts)
    await ensure(url, contacts)
    pages, at, before_id, first_id = await deep_position(url, contacts)
    cursor = encode_cursor(at.isoformat(timespec="microseconds"), before_id)
    headers = {"Authorization": f"Bearer {api_key(url)}"}
    result = ScenarioResult(
        "contacts_pages", f"Contacts list: page 1 vs page {pages:,} ({contacts:,} contacts)"
    )
    first, deep = page_request(None), page_request(cursor)
    with serve_on("facade.app:create_app", url) as crm:
        if len(_ids(await check(crm.port, first, headers))) != PAGE:
            raise SystemExit("the first page is not a full page")
        if _ids(await check(crm.port, deep, headers))[:1] != [first_id]:
            raise SystemExit("the deep page does not start where its cursor points")
        for request in (first, deep):
            await drive(crm.port, [request], 4, 1.0, headers)  # fill pools and caches
        loads = [
            Load(crm, requests_work([first]), headers),
            Load(crm, requests_work([deep]), headers),
        ]
        p50_ratios, throughput_ratios = [], []
        for concurrency in options.concurrency:
            one, far = await in_turns(loads, concurrency, options.rounds, options.duration)
            result.measurements += [
                one.measurement(f"CRM, page 1, {contacts:,} contacts", concurrency),
                far.measurement(f"CRM, page {pages:,}, {contacts:,} contacts", concurrency),
            ]
            p50_ratios.append(far.p50_ms / one.p50_ms)
            throughput_ratios.append(one.throughput / far.throughput)
    result.checks += [
        Check("deep page p50 / first page p50 (worst)", max(p50_ratios), LIMIT, at_least=False),
        Check(
            "first page / deep page throughput (worst)",
            max(throughput_ratios),
            LIMIT,
            at_least=False,
        ),
    ]
    if pages < DEEPEST:
        result.notes.append(
            f"{contacts:,} contacts hold {pages:,} pages of {PAGE}: the deep page is the last,"
            f" not page {DEEPEST:,} (which needs {DEEPEST * PAGE:,} contacts)."
        )
    result.notes += await plans(url, at, before_id)
    return result


def run(options: SuiteOptions) -> ScenarioResult:
    """Scenario 2 of issue #16, measured."""
    return asyncio.run(measure(options))


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
