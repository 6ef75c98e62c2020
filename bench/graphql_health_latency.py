"""How long `/health` waits while the most expensive GraphQL query the limits allow runs.

Starts a real uvicorn server on 127.0.0.1 (SQLite in a temporary folder, default
limits), adds 500 contacts, then runs the query the default cost allows at the
largest page size (500 contacts, 9 fields each) back to back on one connection
while a second connection asks for `/health` again and again. Prints `/health`'s
latency at rest and under that load (median, 99th percentile, worst) and the
query's own time.

    .venv/bin/python bench/graphql_health_latency.py [--queries 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.http import Client

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CONTACTS = 500
EXPENSIVE = (
    "{ contacts(first: 500) { nodes {"
    " id firstName lastName email jobTitle notes createdAt company { id } } } }"
)
CREATE = "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


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
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        env = {
            **os.environ,
            "CRM_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "CRM_RECORDINGS_DIR": f"{tmp}/recordings",
            "CRM_SECRET_KEY": "bench-secret-key-not-used-for-anything-real",
        }
        crm = str(Path(sys.executable).parent / "crm")
        run = {"env": env, "check": True, "cwd": tmp, "capture_output": True, "text": True}
        subprocess.run([crm, "migrate"], **run)  # type: ignore[call-overload]  # noqa: S603
        created = subprocess.run(  # type: ignore[call-overload]  # noqa: S603
            [crm, "apikey", "create", "--name", "bench", "--json"], **run
        )
        key = json.loads(created.stdout)["api_key"]
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                *(sys.executable, "-m", "uvicorn", "facade.app:create_app", "--factory"),
                *("--host", HOST, "--port", str(port), "--log-level", "warning"),
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            for _ in range(200):
                try:
                    socket.create_connection((HOST, port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            asyncio.run(measure(port, key, args.queries))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
