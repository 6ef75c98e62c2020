"""Screen-pop latency: from the request that starts a call to its event at a subscriber.

Starts a real uvicorn server on 127.0.0.1 (SQLite in a temporary folder, default
settings), subscribes to `callEvents` over `graphql-transport-ws` (the `websockets`
client), then starts 50 calls at once through the Ringotel REST facade
(`POST /ringotel/v1/activities`, one connection each) and, for each call, times from
just before its request is sent to the moment the subscriber has its event (the
activity loaded with its contact, company and user, as a screen pop shows). The
baseline is measured in the same run: the same requests' own response times. Prints
p50 and p99 of both, their ratio, and how long after its response each event came
(the event's own cost; negative when the event beat the response), per round.

    .venv/bin/python -m bench.screen_pop_latency [--calls 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.server import HOST, scratch_crm, serve

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


async def start_call(http: httpx.AsyncClient, call_id: str) -> tuple[float, float]:
    """(sent, answered): perf_counter times around one CreateActivity."""
    body = {
        "call_id": call_id,
        "direction": "inbound",
        "phone": "+12015550100",
        "called_number": "101",
    }
    sent = time.perf_counter()
    response = await http.post("/ringotel/v1/activities", json=body)
    answered = time.perf_counter()
    assert response.status_code == 201, response.text
    return sent, answered


async def round_of(port: int, key: str, calls: int, ws: ClientConnection) -> None:
    ids = [f"pop-{uuid.uuid4().hex}" for _ in range(calls)]
    arrivals: dict[str, float] = {}
    done = asyncio.Event()
    listener = asyncio.create_task(heard(ws, set(ids), arrivals, done))
    limits = httpx.Limits(max_connections=calls, max_keepalive_connections=calls)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}",
        headers={"Authorization": f"Bearer {key}"},
        limits=limits,
        timeout=60,
    ) as http:
        await start_call(http, f"warm-{uuid.uuid4().hex}")  # one connection open, routes warm
        times = await asyncio.gather(*(start_call(http, call_id) for call_id in ids))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 30)
    listener.cancel()
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
        f"  p99 {percentile(after, 0.99):5.1f} ms"
    )


async def measure(port: int, key: str, calls: int, rounds: int) -> None:
    ws = await subscribe(port, key)
    try:
        for _ in range(rounds):
            await round_of(port, key, calls, ws)
    finally:
        await ws.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="calls started at once")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with scratch_crm() as scratch:
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
        with serve("facade.app:create_app", scratch.env) as server:
            asyncio.run(measure(server.port, key, args.calls, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
