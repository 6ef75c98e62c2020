"""Screen-pop latency: from the request that starts a call to its event at a subscriber.

Starts `crm serve` on 127.0.0.1 (SQLite in a temporary folder, or a fresh PostgreSQL
database with `--postgres`, with `--workers`) and subscribes to `callEvents` over
`graphql-transport-ws` (the `websockets` client), in one of two ways:

- `--listeners agents` (the default): as many agents as calls, each with an extension
  of their own, signed in through the console's form, each socket subscribed with
  `mine: true`, as the console's live calls screen does; call *i* rings agent *i*;
- `--listeners one`: one socket with an API key hears every call (a wallboard).

Then it starts 50 calls at once through the Ringotel REST facade
(`POST /ringotel/v1/activities`, one kept-alive connection each, opened beforehand, with
the minimal client of `bench.http` so that the load costs little of the two cores it
shares with the server) and, for each call, times from just before its request is sent
to the moment its subscriber has its event (the activity loaded with its contact,
company and user, as a screen pop shows). The baseline is measured in the same run:
the same requests' own response times. Prints p50 and p99 of both, their ratio, how
long after its response each event came (the event's own cost; negative when the event
beat the response), and the server's CPU time per call, per round.

    .venv/bin/python -m bench.screen_pop_latency [--calls 50] [--rounds 3]
        [--listeners agents|one] [--postgres postgresql://postgres@127.0.0.1:5432]
        [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from html import unescape

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

from bench.http import Client
from bench.server import HOST, Server, crm_serve, scratch_crm

ACTIVITY = "activity { id callId status user { email } contact { id firstName } company { name } }"
PROTOCOL = Subprotocol("graphql-transport-ws")
PASSWORD = "bench pass 1"  # noqa: S105 (the throw-away agents of a scratch CRM)
FIRST_EXTENSION = 101
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass(frozen=True)
class Listener:
    """One subscribed socket, and the extensions whose calls it is to hear."""

    ws: ClientConnection
    extensions: tuple[str, ...]


async def subscribe(
    server: Server, init: dict[str, str], mine: bool, headers: dict[str, str] | None = None
) -> ClientConnection:
    ws = await connect(
        f"ws://{HOST}:{server.port}/graphql",
        subprotocols=[PROTOCOL],
        additional_headers=headers,
        origin=Origin(server.url) if headers else None,
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    answer = json.loads(await ws.recv())
    assert answer["type"] == "connection_ack", answer
    query = f"subscription {{ callEvents(mine: {json.dumps(mine)}) {{ type at {ACTIVITY} }} }}"
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
    return ws


async def wallboard(server: Server, key: str, calls: int) -> list[Listener]:
    """One socket with an API key, hearing every call; every call rings the one agent."""
    ws = await subscribe(server, {"Authorization": f"Bearer {key}"}, mine=False)
    return [Listener(ws, (str(FIRST_EXTENSION),) * calls)]


async def agents(server: Server, admin_key: str, calls: int) -> list[Listener]:
    """`calls` agents, each signed in through the console's form and subscribed to their
    own calls; agent i has extension FIRST_EXTENSION + i."""
    extensions = [str(FIRST_EXTENSION + i) for i in range(calls)]
    create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }"
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        for extension in extensions[1:]:  # the first exists already
            user = {"email": f"agent{extension}@bench.test", "password": PASSWORD}
            created = await http.post(
                "/graphql",
                headers={"Authorization": f"Bearer {admin_key}"},
                json={"query": create, "variables": {"input": user | {"extension": extension}}},
            )
            assert not created.json().get("errors"), created.text
    cookies = [await sign_in(server, f"agent{e}@bench.test") for e in extensions]
    sockets = await asyncio.gather(
        *(subscribe(server, {}, mine=True, headers={"Cookie": c}) for c in cookies)
    )
    return [Listener(ws, (e,)) for ws, e in zip(sockets, extensions, strict=True)]


async def sign_in(server: Server, email: str) -> str:
    """The console's session cookie for `email`, signed in as a browser does."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as browser:
        page = await browser.get("/")
        form = {name: unescape(value) for name, value in HIDDEN.findall(page.text)}
        signed = await browser.post(
            "/session/sign-in", data=form | {"email": email, "password": PASSWORD}
        )
        assert signed.status_code == 303, f"{email}: {signed.status_code} {signed.text[-600:]}"
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


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


async def start_call(http: Client, call_id: str, extension: str) -> tuple[float, float]:
    """(sent, answered): perf_counter times around one CreateActivity ringing `extension`."""
    body = {
        "call_id": call_id,
        "direction": "inbound",
        "phone": "+12015550100",
        "called_number": extension,
    }
    encoded = json.dumps(body).encode()
    sent = time.perf_counter()
    status, answer = await http.request("POST", "/ringotel/v1/activities", encoded)
    answered = time.perf_counter()
    assert status == 201, answer
    return sent, answered


@dataclass(frozen=True)
class Round:
    """One round's times in ms, call by call: request to screen pop, the request's own
    response (the baseline), and the event after its response; the server's CPU per call."""

    pops: list[float]
    own: list[float]
    after: list[float]
    cpu_ms: float
    seconds: float

    def line(self) -> str:
        pops, own, after = self.pops, self.own, self.after
        return (
            f"{len(pops)} calls at once: screen pop p50 {statistics.median(pops):6.1f} ms"
            f"  p99 {percentile(pops, 0.99):6.1f} ms | the request's own response"
            f" p50 {statistics.median(own):6.1f} ms  p99 {percentile(own, 0.99):6.1f} ms"
            f" | ratio p99 {percentile(pops, 0.99) / percentile(own, 0.99):4.2f}"
            f" | event after the response p50 {statistics.median(after):5.1f} ms"
            f"  p99 {percentile(after, 0.99):5.1f} ms | server CPU {self.cpu_ms:4.1f} ms per call"
        )


async def round_of(server: Server, key: str, listeners: Sequence[Listener]) -> Round:
    rings = [extension for listener in listeners for extension in listener.extensions]
    ids = [f"pop-{uuid.uuid4().hex}" for _ in rings]
    arrivals: dict[str, float] = {}
    done = asyncio.Event()
    headers = {"Authorization": f"Bearer {key}"}
    clients = await asyncio.gather(*(Client.open(HOST, server.port, headers) for _ in rings))
    for client in clients:  # every connection open and accepted, the routes warm
        await start_call(client, f"warm-{uuid.uuid4().hex}", "100")  # nobody's extension
    wanted = set(ids)
    tasks = [asyncio.create_task(heard(x.ws, wanted, arrivals, done)) for x in listeners]
    cpu = server.cpu_seconds()
    began = time.perf_counter()
    try:
        times = await asyncio.gather(
            *(start_call(c, i, e) for c, i, e in zip(clients, ids, rings, strict=True))
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 30)
    finally:
        for task in tasks:
            task.cancel()
        for client in clients:
            client.close()
    seconds = time.perf_counter() - began
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / len(ids)
    missing = [i for i in ids if i not in arrivals]
    assert not missing, f"{len(missing)} events never arrived"
    pops = [(arrivals[i] - sent) * 1000 for i, (sent, _) in zip(ids, times, strict=True)]
    own = [(answered - sent) * 1000 for sent, answered in times]
    after = [(arrivals[i] - answered) * 1000 for i, (_, answered) in zip(ids, times, strict=True)]
    return Round(pops, own, after, cpu_ms, seconds)


@contextlib.asynccontextmanager
async def listening(
    server: Server, key: str, calls: int, mode: str
) -> AsyncIterator[list[Listener]]:
    """The subscribed sockets (`agents` or `one`) for `calls` calls, until the block ends."""
    listeners = await (agents if mode == "agents" else wallboard)(server, key, calls)
    try:
        yield listeners
    finally:
        for ws in {listener.ws for listener in listeners}:
            await ws.close()


async def measure(server: Server, key: str, calls: int, rounds: int, mode: str) -> None:
    async with listening(server, key, calls, mode) as listeners:
        for _ in range(rounds):
            print((await round_of(server, key, listeners)).line())


@contextlib.contextmanager
def screen_pop_crm(
    postgres: str | None, workers: int = 1, prefix: str = "crm_bench"
) -> Iterator[tuple[Server, str]]:
    """A scratch CRM with its first agent, served by `crm serve`, and an admin's API key."""
    with scratch_crm(postgres, prefix=prefix) as scratch:
        key = scratch.api_key("admin", "crm:read", "crm:write", "ringotel")
        scratch.crm(
            "user",
            "create",
            "--email",
            f"agent{FIRST_EXTENSION}@bench.test",
            "--password",
            PASSWORD,
            "--extension",
            str(FIRST_EXTENSION),
        )
        with crm_serve(scratch.env, workers=workers) as server:
            yield server, key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="calls started at once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--listeners", choices=["agents", "one"], default="agents")
    parser.add_argument(
        "--postgres", default=None, help="a PostgreSQL server's URL (default: SQLite)"
    )
    parser.add_argument("--workers", type=int, default=1, help="crm serve --workers")
    args = parser.parse_args()
    if args.workers > 1 and args.postgres is None:
        parser.error("--workers above 1 needs --postgres: on SQLite events stay in one process")
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{engine}, {args.workers} worker(s), listeners: {args.listeners},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    with screen_pop_crm(args.postgres, args.workers) as (server, key):
        asyncio.run(measure(server, key, args.calls, args.rounds, args.listeners))
    return 0


if __name__ == "__main__":
    sys.exit(main())
