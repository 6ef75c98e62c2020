"""Scenario 7: the screen pop, from the request that starts a call to its event at the
agent's subscribed socket, with `options.calls` calls (50 by default) starting at once.

The measuring is `bench.screen_pop_latency`'s, on PostgreSQL (a scratch database), one
`crm serve` worker, one agent per call signed in through the console's form and subscribed
to their own calls; `options.rounds` rounds (at least three). The baseline, measured in the
same calls, is the CreateActivity request's own response time. Goal (issue #12 and #16): a
p99 under 100 ms, over the calls of every round together.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from bench import profiling
from bench.results_model import Check, Measurement, ScenarioResult, SuiteOptions
from bench.screen_pop_latency import Round, listening, percentile, round_of, screen_pop_crm
from bench.server import Server

KEY = "screen_pop"
LIMIT_MS = 100.0
MIN_ROUNDS = 3


def _measurement(label: str, values: list[float], rounds: list[Round], calls: int) -> Measurement:
    seconds = sum(r.seconds for r in rounds)
    return Measurement(
        label,
        concurrency=calls,
        throughput=calls * len(rounds) / seconds,
        unit="calls/s",
        p50_ms=statistics.median(values),
        p99_ms=percentile(values, 0.99),
        cpu_ms=statistics.mean(r.cpu_ms for r in rounds),
    )


def result_of(rounds: list[Round], calls: int) -> ScenarioResult:
    pops = [ms for r in rounds for ms in r.pops]
    own = [ms for r in rounds for ms in r.own]
    after = [ms for r in rounds for ms in r.after]
    per_round = ", ".join(f"{percentile(r.pops, 0.99):.0f}" for r in rounds)
    pop = _measurement("CRM, screen pop", pops, rounds, calls)
    pop.extra = {"event after response p99 ms": round(percentile(after, 0.99), 1)}
    return ScenarioResult(
        KEY,
        "7. Screen pop vs the request's own response",
        [pop, _measurement("the CreateActivity response", own, rounds, calls)],
        [
            Check(
                f"screen pop p99, {calls} calls",
                pop.p99_ms or 0.0,
                LIMIT_MS,
                at_least=False,
                unit="ms",
            )
        ],
        [
            f"{len(rounds)} rounds of {calls} calls; p99 per round {per_round} ms. CPU ms is the"
            " server's CPU time per call (its event delivered included).",
        ],
    )


async def _run(server: Server, key: str, options: SuiteOptions) -> ScenarioResult:
    async with listening(server, key, options.calls, "agents") as listeners:
        rounds = [
            await round_of(server, key, listeners) for _ in range(max(MIN_ROUNDS, options.rounds))
        ]
        for one in rounds:
            print(one.line())
        result = result_of(rounds, options.calls)
        if options.profile and not result.met:

            async def calls(seconds: float) -> None:
                deadline = time.perf_counter() + seconds
                while time.perf_counter() < deadline:
                    await round_of(server, key, listeners)

            seconds = max(5.0, options.duration / 2)
            out = profiling.profile_path(options.results, KEY)
            top = await profiling.profile_while(server.pid, seconds, out, calls)
            result.notes.append(f"Profiled over {seconds:.0f} s of rounds of the same calls.")
            profiling.attach(result, options.results, top)
    return result


def run(options: SuiteOptions) -> ScenarioResult:
    with screen_pop_crm(options.server, prefix=options.scratch_prefix) as (server, key):
        return asyncio.run(_run(server, key, options))
