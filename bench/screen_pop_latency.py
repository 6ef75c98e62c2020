"""Screen-pop latency: from the request that starts a call to its event at a subscriber.

Starts `crm serve` on 127.0.0.1 (SQLite in a temporary folder, or a fresh PostgreSQL
database with `--postgres`, with `--workers`), subscribes to `callEvents` over
`graphql-transport-ws` (the `websockets` client), then starts 50 calls at once through
the Ringotel REST facade (`POST /ringotel/v1/activities`, one kept-alive connection
each, opened beforehand, with the minimal client of `bench.http` so that the load costs
little of the two cores it shares with the server) and, for each call, times from just
before its request is sent to the moment the subscriber has its event (the activity
loaded with its contact, company and user, as a screen pop shows). The baseline is
measured in the same run: the same requests' own response times. Prints p50 and p99 of
both, their ratio, how long after its response each event came (the event's own cost;
negative when the event beat the response), and the server's CPU time per call, per
round.

    .venv/bin/python -m bench.screen_pop_latency [--calls 50] [--rounds 3]
        [--postgres postgresql://postgres@127.0.0.1:5432] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.http import Client
from bench.server import HOST, Server, crm_serve, scratch_crm

SUBSCRIPTION = (
    "subscription { callEvents { type at activity { id callId status"
    " user { email } contact { id firstName } company { name } } } }"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def subscribe(port: int, key: str) -> ClientConnection:
    ws = await connect(
        f"ws://{HOST}:{port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION}}))
    return ws


async def heard(
    ws: ClientConnection, wanted: set[str], arrivals: dict[str, float], done: asyncio.Event
) -> None:
    """Note when each wanted call's STARTED event arrives, by its call id; `done` once all."""
    async for raw in ws:
        message = json.loads(raw)
        if message.get("type") != "next":
            continue
        event = message["payload"]["data"]["callEvents"]
        call_id = event["activity"]["callId"]
        if event["type"] == "STARTED" and call_id in wanted:
            arrivals.setdefault(call_id, time.perf_counter())
            if len(arrivals) == len(wanted):
                done.set()


async def start_call(http: Client, call_id: str) -> tuple[float, float]:
    """(sent, answered): perf_counter times around one CreateActivity."""
    body = {
        "call_id": call_id,
        "direction": "inbound",
        "phone": "+12015550100",
        "called_number": "101",
    }
    encoded = json.dumps(body).encode()
    sent = time.perf_counter()
    status, answer = await http.request("POST", "/ringotel/v1/activities", encoded)
    answered = time.perf_counter()
    assert status == 201, answer
    return sent, answered


async def round_of(server: Server, key: str, calls: int, ws: ClientConnection) -> None:
    ids = [f"pop-{uuid.uuid4().hex}" for _ in range(calls)]
    arrivals: dict[str, float] = {}
    done = asyncio.Event()
    headers = {"Authorization": f"Bearer {key}"}
    clients = await asyncio.gather(*(Client.open(HOST, server.port, headers) for _ in range(calls)))
    for client in clients:  # every connection open and accepted, the routes warm
        await start_call(client, f"warm-{uuid.uuid4().hex}")
    listener = asyncio.create_task(heard(ws, set(ids), arrivals, done))
    cpu = server.cpu_seconds()
    try:
        times = await asyncio.gather(*(start_call(c, i) for c, i in zip(clients, ids, strict=True)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 30)
    finally:
        listener.cancel()
        for client in clients:
            client.close()
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / calls
    missing = [i for i in ids if i not in arrivals]
    assert not missing, f"{len(missing)} events never arrived"
    pops = [(arrivals[i] - sent) * 1000 for i, (sent, _) in zip(ids, times, strict=True)]
    own = [(answered - sent) * 1000 for sent, answered in times]
    after = [(arrivals[i] - answered) * 1000 for i, (_, answered) in zip(ids, times, strict=True)]
    print(
        f"{calls} calls at once: screen pop p50 {statistics.median(pops):6.1f} ms"
        f"  p99 {percentile(pops, 0.99):6.1f} ms | the request's own response"
        f" p50 {statistics.median(own):6.1f} ms  p99 {percentile(own, 0.99):6.1f} ms"
        f" | ratio p99 {percentile(pops, 0.99) / percentile(own, 0.99):4.2f}"
        f" | event after the response p50 {statistics.median(after):5.1f} ms"
        f"  p99 {percentile(after, 0.99):5.1f} ms | server CPU {cpu_ms:4.1f} ms per call"
    )


async def measure(server: Server, key: str, calls: int, rounds: int) -> None:
    ws = await subscribe(server.port, key)
    try:
        for _ in range(rounds):
            await round_of(server, key, calls, ws)
    finally:
        await ws.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="calls started at once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--postgres", default=None, help="a PostgreSQL server's URL (default: SQLite)"
    )
    parser.add_argument("--workers", type=int, default=1, help="crm serve --workers")
    args = parser.parse_args()
    if args.workers > 1 and args.postgres is None:
        parser.error("--workers above 1 needs --postgres: on SQLite events stay in one process")
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{engine}, {args.workers} worker(s), load average {os.getloadavg()[0]:.2f}")
    with scratch_crm(args.postgres) as scratch:
        key = scratch.api_key()
        scratch.crm(
            "user",
            "create",
            "--email",
            "agent@bench.test",
            "--password",
            "bench pass 1",
            "--extension",
            "101",
        )
        with crm_serve(scratch.env, workers=args.workers) as server:
            asyncio.run(measure(server, key, args.calls, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
