"""Scenario 1: FindContact (`GET /ringotel/v1/contacts/lookup`) against the bare asyncpg
endpoint doing the same work (`bench/baseline.py`), on both data sets at each concurrency.

The measuring is `bench.run`'s: both sizes served at once, every server driven in turn in
short rounds so that a noisy neighbour weighs on every figure alike. Goals (issue #16): at
the larger size and the most clients, at least 0.8 of the bare endpoint's throughput and a
p99 within 1.5 of its p99; the CRM's p50 at the larger size within 1.1 of its p50 at the
smaller one (the worst concurrency counts).

    python -m bench --only find_contact [--sizes 10000,1000000] [--duration 10]
"""

from __future__ import annotations

import asyncio

from bench import profiling
from bench.load import drive
from bench.results_model import Check, Measurement, ScenarioResult, SuiteOptions
from bench.run import Result, Target, measure, serving

KEY = "find_contact"
WARMUP_S = 2.0


def _label(result: Result) -> str:
    who = "asyncpg" if result.target == "asyncpg" else "CRM"
    return f"{who}, {result.contacts:,} contacts"


def measurement(result: Result) -> Measurement:
    return Measurement(
        label=_label(result),
        concurrency=result.concurrency,
        throughput=result.throughput,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        cpu_ms=result.cpu_ms,
        extra={"requests": result.requests, "errors": result.errors},
    )


def checks(results: list[Result], small: int, large: int, clients: int) -> list[Check]:
    """The issue's three goals from `bench.run`'s results."""
    crm = {(r.contacts, r.concurrency): r for r in results if r.target != "asyncpg"}
    bare = {(r.contacts, r.concurrency): r for r in results if r.target == "asyncpg"}
    at = (large, clients)
    growth = max(
        crm[(large, c)].p50_ms / crm[(small, c)].p50_ms
        for (size, c) in crm
        if size == large and (small, c) in crm
    )
    return [
        Check(
            f"throughput / asyncpg's at {clients} clients, {large:,} contacts",
            crm[at].throughput / bare[at].throughput,
            0.8,
            at_least=True,
        ),
        Check(
            f"p99 / asyncpg's p99 at {clients} clients, {large:,} contacts",
            crm[at].p99_ms / bare[at].p99_ms,
            1.5,
            at_least=False,
        ),
        Check(
            f"p50 at {large:,} / p50 at {small:,} contacts (worst concurrency)",
            growth,
            1.1,
            at_least=False,
        ),
    ]


async def _run(options: SuiteOptions) -> ScenarioResult:
    small, large = options.sizes
    clients = max(options.concurrency)
    async with serving([small, large], options.server, options.prefix) as targets:
        results = await measure(
            targets, list(options.concurrency), options.duration, WARMUP_S, options.rounds
        )
        result = ScenarioResult(
            KEY,
            "1. FindContact vs asyncpg",
            [measurement(r) for r in results],
            checks(results, small, large, clients),
            [
                f"{sum(r.errors for r in results)} errors in"
                f" {sum(r.requests for r in results):,} requests."
            ],
        )
        failed = [r for r in results if r.errors]
        if failed:
            listed = ", ".join(f"{_label(r)} at {r.concurrency} clients" for r in failed)
            result.notes.append(
                f"Answers other than 200 (see the server's log) from {listed}: those figures"
                " are not the lookup's, and checks built on them do not hold."
            )
        if options.profile and not result.met:
            crm = next(t for t in targets if t.contacts == large and t.name != "asyncpg")
            result.notes.append(f"Profiled under {clients} clients at {large:,} contacts.")
            top = await profiling.profile_while(
                crm.server.pid,
                max(5.0, options.duration / 2),
                profiling.profile_path(options.results, KEY),
                lambda seconds: _load(crm, clients, seconds),
            )
            profiling.attach(result, options.results, top)
    return result


async def _load(target: Target, clients: int, seconds: float) -> None:
    await drive(target.server.port, target.requests, clients, seconds, target.headers)


def run(options: SuiteOptions) -> ScenarioResult:
    return asyncio.run(_run(options))
