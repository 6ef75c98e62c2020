"""Running one scenario by itself: `python -m bench.scenarios.<name> [--sizes ...]` parses the
suite's options, runs the scenario and prints its measurements and checks as Markdown."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from bench.results_model import ScenarioResult, SuiteOptions
from bench.run import load_average


def _figure(value: float | None, digits: int = 2) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:,.{digits}f}"


def table(result: ScenarioResult) -> str:
    """The result's measurements, then its checks, as Markdown tables, then its notes."""
    lines = [
        f"### {result.title}",
        "",
        "| what | clients | throughput | p50 ms | p99 ms | server CPU ms | extra |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in result.measurements:
        throughput = f"{_figure(m.throughput, 1)} {m.unit}" if m.throughput is not None else ""
        extra = ", ".join(f"{k} {v}" for k, v in m.extra.items())
        lines.append(
            f"| {m.label} | {m.concurrency or ''} | {throughput} | {_figure(m.p50_ms)}"
            f" | {_figure(m.p99_ms)} | {_figure(m.cpu_ms)} | {extra} |"
        )
    lines += ["", "| check | value | limit | met |", "|---|---:|---:|---|"]
    for c in result.checks:
        bound = "≥" if c.at_least else "≤"
        lines.append(
            f"| {c.name} | {c.value:.2f}{c.unit} | {bound} {c.limit:g}{c.unit}"
            f" | {'yes' if c.met else '**no**'} |"
        )
    lines += ["", *(f"- {note}" for note in result.notes)]
    return "\n".join(lines)


def main(run: Callable[[SuiteOptions], ScenarioResult], description: str) -> None:
    """Parse the suite's options (defaults: the suite's), run, print the table."""
    defaults = SuiteOptions()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in defaults.sizes),
        help="contacts in the small and the large data set (one size: both)",
    )
    parser.add_argument("--concurrency", default=",".join(str(c) for c in defaults.concurrency))
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="seconds per measurement"
    )
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--server", default=defaults.server, help="PostgreSQL, no database")
    parser.add_argument("--prefix", default=defaults.prefix, help="data sets: <prefix>_<size>")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    options = SuiteOptions(
        server=args.server,
        prefix=args.prefix,
        sizes=(sizes[0], sizes[-1]),
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        duration=args.duration,
        rounds=args.rounds,
        profile=False,
    )
    print(f"load average before: {load_average()}")
    result = run(options)
    print(f"load average after: {load_average()}")
    print()
    print(table(result))
