"""The load driver every HTTP benchmark shares: keep-alive clients doing one unit of work
after another for a while, several servers driven in turn in rounds, and what each cost.

A unit of work is usually one request (`requests_work`), but may be several that depend
on each other (the three requests that log one call): its latency is the whole unit's.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bench.http import Client
from bench.results_model import Measurement
from bench.server import HOST, Server

Request = tuple[str, str, bytes | None]
"""Method, path and body of one request."""
Work = Callable[[Client, int], Awaitable[bool]]
"""One unit of work on a client, the `i`th the client does: whether it went well."""


def requests_work(requests: Sequence[Request]) -> Work:
    """Send `requests` round-robin; a unit is one request, answered 200 (without GraphQL
    errors, which come with a 200) or not."""

    async def one(client: Client, i: int) -> bool:
        status, body = await client.request(*requests[i % len(requests)])
        return status == 200 and b'"errors":' not in body

    return one


async def check(port: int, request: Request, headers: dict[str, str]) -> bytes:
    """Stop unless the target answers `request` properly: measuring errors would measure
    nothing. The body of the answer."""
    client = await Client.open(HOST, port, headers)
    try:
        status, body = await client.request(*request)
    finally:
        client.close()
    if status not in (200, 201) or b'"errors"' in body:
        raise SystemExit(f"the server on port {port} answered {status}: {body[:300]!r}")
    return body


async def drive_work(
    port: int, work: Work, concurrency: int, duration: float, headers: dict[str, str]
) -> tuple[list[float], int]:
    """Run `work` from `concurrency` keep-alive clients for `duration` seconds: the latency
    of every unit and the number that failed."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def one(offset: int) -> None:
        nonlocal errors
        client = await Client.open(HOST, port, headers)
        i = offset
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                ok = await work(client, i)
                latencies.append(time.perf_counter() - began)
                i += concurrency
                if not ok:
                    errors += 1
        finally:
            client.close()

    await asyncio.gather(*(one(k * 37) for k in range(concurrency)))
    return latencies, errors


async def drive(
    port: int,
    requests: list[Request],
    concurrency: int,
    duration: float,
    headers: dict[str, str],
) -> tuple[list[float], int]:
    """Send `requests` round-robin from `concurrency` keep-alive clients for `duration` s."""
    return await drive_work(port, requests_work(requests), concurrency, duration, headers)


@dataclass
class Measured:
    """What one target did at one concurrency, summed over the rounds."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    """Server CPU seconds over the rounds."""

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99_ms(self) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    @property
    def cpu_ms(self) -> float:
        """Server CPU time per unit of work: what it costs, whatever else the machine runs."""
        return self.cpu / max(1, len(self.latencies)) * 1000

    def measurement(self, label: str, concurrency: int, unit: str = "req/s") -> Measurement:
        """The suite's shape of these figures."""
        return Measurement(
            label=label,
            concurrency=concurrency,
            throughput=self.throughput,
            unit=unit,
            p50_ms=self.p50_ms,
            p99_ms=self.p99_ms,
            cpu_ms=self.cpu_ms,
            extra={"units": len(self.latencies), "errors": self.errors},
        )


@dataclass
class Load:
    """One target: a server, the headers its clients send, and the work they do."""

    server: Server
    work: Work
    headers: dict[str, str] = field(default_factory=dict)


async def in_turns(
    loads: Sequence[Load], concurrency: int, rounds: int, duration: float
) -> list[Measured]:
    """Drive every load in turn, `rounds` times, for `duration / rounds` seconds each, so
    that a noisy neighbour on the machine weighs on every figure alike."""
    measured = [Measured() for _ in loads]
    for _ in range(rounds):
        for load, m in zip(loads, measured, strict=True):
            began, cpu = time.perf_counter(), load.server.cpu_seconds()
            lat, errors = await drive_work(
                load.server.port, load.work, concurrency, duration / rounds, load.headers
            )
            m.latencies += lat
            m.errors += errors
            m.seconds += time.perf_counter() - began
            m.cpu += load.server.cpu_seconds() - cpu
    return measured
