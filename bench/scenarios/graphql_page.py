"""Scenario 4: a GraphQL page of contacts with company, owner, phones and the last call.

How it measures: on both data sets (`options.sizes`, reused or made by `bench/generate.py`,
every contact given one of 20 agents as owner by `add_agents`), the query below asks for
a page of contacts, each with its company, owner, numbers and latest call
(`activities(first: 1)`). SQL statements per request are counted in-process: the app
from its factory, in its lifespan, on the data set, asked through httpx's ASGI transport
while `tests/graphql/query_counts.py`'s `counted_queries` counts what its engine runs
(the API key check included), for pages of 10 and 100 on each data set. Latency over HTTP:
one CRM per data set (the app factory under uvicorn), pages of 100 driven in turn in the
same rounds at each concurrency (`bench/load.py`). Checks: statements per request the
same for every page size and data size (max / min, at most 1.0), and the p50 on the
larger data set within 1.1 of the p50 on the smaller (worst concurrency).

    python -m bench.scenarios.graphql_page --sizes 10000,1000000 --duration 6
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from bench.generate import add_agents, dataset_url, ensure
from bench.load import Load, Request, check, drive, in_turns, requests_work
from bench.results_model import Check, Measurement, ScenarioResult, SuiteOptions
from bench.run import SECRET_KEY, api_key, serve_on
from bench.scenarios.standalone import main
from facade.app import create_app
from tests.graphql.query_counts import counted_queries

DOCUMENT = (
    "query ContactsWithLastCall($first: Int) { contacts(first: $first) {"
    " nodes { id firstName lastName email jobTitle company { id name }"
    " owner { id firstName lastName email } phones { number kind }"
    " activities(first: 1) { nodes { id direction status startedAt duration } } }"
    " pageInfo { endCursor hasNextPage } } }"
)
PAGE_SIZES = (10, 100)
STATEMENTS_LIMIT = 1.0
P50_LIMIT = 1.1


def page_request(first: int) -> Request:
    body = json.dumps({"query": DOCUMENT, "variables": {"first": first}}).encode()
    return "POST", "/graphql", body


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in the environment for the block: the app factory reads its settings there."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def statements(database_url: str) -> dict[int, int]:
    """SQL statements one request for a page costs, by page size, on the app's engine."""
    # No webhook worker: its claims, polled in the background, would be counted too.
    settings = {"CRM_DATABASE_URL": database_url, "CRM_SECRET_KEY": SECRET_KEY}
    with _environment(settings | {"CRM_WEBHOOK_WORKER": "false"}):
        app = create_app()
    asgi: Any = app
    counts = {}
    async with LifespanManager(asgi):
        _, key = await app.state.services.credentials.create_api_key("bench", ["crm:read"])
        transport = httpx.ASGITransport(app=asgi)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://crm.bench", headers=headers
        ) as client:
            for first in PAGE_SIZES:
                with counted_queries(app, pytest.MonkeyPatch()) as seen:
                    response = await client.post(
                        "/graphql", json={"query": DOCUMENT, "variables": {"first": first}}
                    )
                body = response.json()
                if response.status_code != 200 or "errors" in body:
                    raise SystemExit(f"the page of {first} failed: {response.text[:300]}")
                if len(body["data"]["contacts"]["nodes"]) != first:
                    raise SystemExit(f"the page of {first} is not full")
                counts[first] = len(seen)
    return counts


async def measure(options: SuiteOptions) -> ScenarioResult:
    sizes = sorted(set(options.sizes))
    urls = {size: dataset_url(options.server, options.prefix, size) for size in sizes}
    for size, url in urls.items():
        await ensure(url, size)
        await add_agents(url)
    result = ScenarioResult("graphql_page", "GraphQL: a page of contacts with their relations")
    counted = {size: await statements(url) for size, url in urls.items()}
    for size, counts in counted.items():
        result.measurements += [
            Measurement(
                f"SQL statements, page of {first}, {size:,} contacts",
                unit="statements",
                extra={"statements": n},
            )
            for first, n in counts.items()
        ]
    every = [n for counts in counted.values() for n in counts.values()]
    result.checks.append(
        Check(
            "statements per request, max / min over page and data sizes",
            max(every) / min(every),
            STATEMENTS_LIMIT,
            at_least=False,
        )
    )
    request = page_request(100)
    ratios, cpu_ratios = [], []
    with ExitStack() as stack:
        loads = []
        for size in sizes:
            server = stack.enter_context(serve_on("facade.app:create_app", urls[size]))
            headers = {"Authorization": f"Bearer {api_key(urls[size])}"}
            await check(server.port, request, headers)
            await drive(server.port, [request], 4, 1.0, headers)  # fill pools and caches
            loads.append(Load(server, requests_work([request]), headers))
        for concurrency in options.concurrency:
            measured = await in_turns(loads, concurrency, options.rounds, options.duration)
            for size, m in zip(sizes, measured, strict=True):
                result.measurements.append(
                    m.measurement(f"CRM, page of 100, {size:,} contacts", concurrency)
                )
            ratios.append(measured[-1].p50_ms / measured[0].p50_ms)
            cpu_ratios.append(measured[-1].cpu_ms / measured[0].cpu_ms)
    if len(sizes) > 1:
        result.checks.append(
            Check(
                f"p50 at {sizes[-1]:,} / p50 at {sizes[0]:,} contacts (worst)",
                max(ratios),
                P50_LIMIT,
                at_least=False,
            )
        )
        result.notes.append(
            f"Server CPU per request at {sizes[-1]:,} / at {sizes[0]:,} contacts:"
            f" {min(cpu_ratios):.2f} to {max(cpu_ratios):.2f}, the steadier figure of how the"
            " work grows with the data when the machine is loaded (p50 waits in the queue)."
        )
    else:
        result.notes.append("One data size only: the p50 growth with the data is not measured.")
    result.notes.append(
        "Statements are counted on the app's engine in-process and include the API key's"
        " check; the latencies are over HTTP from a separate server per data set."
    )
    return result


def run(options: SuiteOptions) -> ScenarioResult:
    """Scenario 4 of issue #16, measured."""
    return asyncio.run(measure(options))


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
