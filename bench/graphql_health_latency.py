"""How long `/health` waits while the most expensive GraphQL query the limits allow runs.

Starts a real uvicorn server on 127.0.0.1 (SQLite in a temporary folder, default
limits), adds 500 contacts, then runs the query the default cost allows at the
largest page size (500 contacts, 9 fields each) back to back on one connection
while a second connection asks for `/health` again and again. Prints `/health`'s
latency at rest and under that load (median, 99th percentile, worst) and the
query's own time.

    .venv/bin/python -m bench.graphql_health_latency [--queries 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from bench.http import Client
from bench.server import HOST, scratch_crm, serve

CONTACTS = 500
EXPENSIVE = (
    "{ contacts(first: 500) { nodes {"
    " id firstName lastName email jobTitle notes createdAt company { id } } } }"
)
CREATE = "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }"


def summary(latencies: list[float]) -> str:
    ms = sorted(value * 1000 for value in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (
        f"{len(ms):5d} requests  median {statistics.median(ms):6.1f} ms"
        f"  p99 {p99:6.1f} ms  worst {ms[-1]:6.1f} ms"
    )


async def health_latencies(port: int, until: asyncio.Event) -> list[float]:
    client = await Client.open(HOST, port)
    latencies: list[float] = []
    try:
        while not until.is_set():
            began = time.perf_counter()
            status, _ = await client.request("GET", "/health")
            assert status == 200
            latencies.append(time.perf_counter() - began)
    finally:
        client.close()
    return latencies


async def measure(port: int, key: str, queries: int) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    writer = await Client.open(HOST, port, auth)
    for i in range(CONTACTS):
        contact = {"firstName": f"First{i}", "lastName": f"Last{i}", "email": f"p{i}@x.test"}
        contact |= {"jobTitle": "Engineer", "notes": "Met at the fair. " * 4}
        contact["companyName"] = f"Company {i % 50}"
        body = json.dumps({"query": CREATE, "variables": {"i": contact}}).encode()
        status, _ = await writer.request("POST", "/graphql", body)
        assert status == 200
    writer.close()

    rest = asyncio.Event()
    idle = asyncio.create_task(health_latencies(port, rest))
    await asyncio.sleep(2)
    rest.set()
    print(f"/health at rest:        {summary(await idle)}")

    done = asyncio.Event()
    loaded = asyncio.create_task(health_latencies(port, done))
    client = await Client.open(HOST, port, auth)
    times: list[float] = []
    body = json.dumps({"query": EXPENSIVE}).encode()
    for _ in range(queries):
        began = time.perf_counter()
        status, answer = await client.request("POST", "/graphql", body)
        times.append(time.perf_counter() - began)
        assert status == 200
        assert b'"errors"' not in answer, answer[:300]
    done.set()
    client.close()
    print(f"/health under the query: {summary(await loaded)}")
    print(f"the query itself:        {summary(times)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20, help="expensive queries to run")
    args = parser.parse_args()
    with scratch_crm() as scratch:
        key = scratch.api_key()
        with serve("facade.app:create_app", scratch.env) as server:
            asyncio.run(measure(server.port, key, args.queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
