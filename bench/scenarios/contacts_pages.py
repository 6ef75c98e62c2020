"""Scenario 2: the contacts list, its first page against a page 10,000 pages deep.

How it measures: on the larger data set (`options.sizes[1]` contacts, reused or made by
`bench/generate.py`), one CRM (the app factory under uvicorn, `bench/server.py`) answers
GraphQL `contacts(first: 100, after: $after)` on `/graphql` with an API key, asking for
what a list screen shows (name, email, title, company, owner, numbers). Three loads,
driven in turn in the same rounds at each concurrency (`bench/load.py`): the first page
(no cursor), the deepest page the data has, at most 10,000 pages in (which needs 1,000,000
contacts; a smaller data set pages as deep as it goes, and a note says so), and the page
halfway to it. The last page is the cheapest for a keyset condition that only filters the
rows before the cursor (few rows are left after it), so the middle page is what shows such
a plan. The deep pages' cursors are computed the way the server encodes them
(`crm/domain/pagination.py`: the `updated_at` and id of the row before the page), read
with SQL, and the scenario stops unless each of the CRM's deep pages starts at the row
that follows. Checks: the deep pages' p50 within 1.2 of the first page's, and their
throughput within 1.2 too (the worst page and concurrency). The plans of the three pages
(EXPLAIN ANALYZE through asyncpg of the statement the CRM runs) go into the notes, so that
a miss says why.

    python -m bench.scenarios.contacts_pages --sizes 10000 --duration 6
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
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
# The statement the CRM's `keyset_page` (crm/queries/paging.py) runs for a page after a
# cursor, as plain SQL.
PAGE_SQL = (
    "SELECT * FROM crm_contact WHERE (updated_at, id) > ($1, $2) ORDER BY updated_at, id LIMIT $3"
)
FIRST_PAGE_SQL = "SELECT * FROM crm_contact ORDER BY updated_at, id LIMIT $1"


def page_request(after: str | None) -> Request:
    body = json.dumps({"query": DOCUMENT, "variables": {"after": after}}).encode()
    return "POST", "/graphql", body


@dataclass(frozen=True)
class Position:
    """A page of the list: its number (1-based), its cursor and the id of its first row."""

    page: int
    cursor: str
    at: datetime
    """The `updated_at` of the row before the page, which the cursor holds with its id."""
    before_id: str
    first_id: str


async def positions(database_url: str, contacts: int) -> list[Position]:
    """The deepest page (at most `DEEPEST`) and the one halfway to it, read with SQL and
    their cursors encoded as the server encodes them."""
    deepest = min(DEEPEST, max(2, contacts // PAGE))
    conn = await asyncpg.connect(database_url)
    try:
        out = []
        for page in sorted({max(2, deepest // 2), deepest}, reverse=True):
            before, first = await conn.fetch(
                "SELECT updated_at, id FROM crm_contact ORDER BY updated_at, id OFFSET $1 LIMIT 2",
                (page - 1) * PAGE - 1,
            )
            at: datetime = before["updated_at"]
            cursor = encode_cursor(at.isoformat(timespec="microseconds"), str(before["id"]))
            out.append(Position(page, cursor, at, str(before["id"]), str(first["id"])))
        return out
    finally:
        await conn.close()


async def plans(database_url: str, deep: list[Position]) -> list[str]:
    """One line per page: the plan's top nodes and the execution time PostgreSQL reports."""
    conn = await asyncpg.connect(database_url)
    try:
        out = []
        for name, sql, args in (
            ("page 1", FIRST_PAGE_SQL, (PAGE + 1,)),
            *((f"page {p.page:,}", PAGE_SQL, (p.at, p.before_id, PAGE + 1)) for p in deep),
        ):
            lines = [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)]
            nodes = [line.strip() for line in lines if "->" in line or line is lines[0]][:3]
            timing = next((line for line in lines if line.startswith("Execution Time")), "")
            out.append(f"plan of {name}: {' / '.join(nodes)}; {timing}")
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
    deep = await positions(url, contacts)
    headers = {"Authorization": f"Bearer {api_key(url)}"}
    result = ScenarioResult(
        "contacts_pages", f"Contacts list: page 1 vs page {deep[0].page:,} ({contacts:,} contacts)"
    )
    first = page_request(None)
    requests = [first, *(page_request(p.cursor) for p in deep)]
    with serve_on("facade.app:create_app", url) as crm:
        if len(_ids(await check(crm.port, first, headers))) != PAGE:
            raise SystemExit("the first page is not a full page")
        for p, request in zip(deep, requests[1:], strict=True):
            if _ids(await check(crm.port, request, headers))[:1] != [p.first_id]:
                raise SystemExit(f"page {p.page} does not start where its cursor points")
        for request in requests:
            await drive(crm.port, [request], 4, 1.0, headers)  # fill pools and caches
        loads = [Load(crm, requests_work([request]), headers) for request in requests]
        p50_ratios, throughput_ratios = [], []
        for concurrency in options.concurrency:
            one, *far = await in_turns(loads, concurrency, options.rounds, options.duration)
            result.measurements.append(
                one.measurement(f"CRM, page 1, {contacts:,} contacts", concurrency)
            )
            for p, m in zip(deep, far, strict=True):
                label = f"CRM, page {p.page:,}, {contacts:,} contacts"
                result.measurements.append(m.measurement(label, concurrency))
                p50_ratios.append(m.p50_ms / one.p50_ms)
                throughput_ratios.append(one.throughput / m.throughput)
    result.checks += [
        Check("deep page p50 / first page p50 (worst)", max(p50_ratios), LIMIT, at_least=False),
        Check(
            "first page / deep page throughput (worst)",
            max(throughput_ratios),
            LIMIT,
            at_least=False,
        ),
    ]
    if deep[0].page < DEEPEST:
        result.notes.append(
            f"{contacts:,} contacts hold {deep[0].page:,} pages of {PAGE}: the deep page is the"
            f" last, not page {DEEPEST:,} (which needs {DEEPEST * PAGE:,} contacts)."
        )
    result.notes += await plans(url, deep)
    return result


def run(options: SuiteOptions) -> ScenarioResult:
    """Scenario 2 of issue #16, measured."""
    return asyncio.run(measure(options))


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
