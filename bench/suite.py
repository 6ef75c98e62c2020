"""The benchmark suite, `python -m bench`: every scenario of issue #16 next to its baseline,
and one report of them all.

Each scenario is a module of `bench.scenarios` with `run(options) -> ScenarioResult`,
imported only when it is run, so that a scenario not written yet is reported as not
available rather than stopping the others. The suite notes the machine and its load
average before and after, and writes into `options.results`:

- `latest.json`: the options, the machine and every scenario's result (each check with
  whether it is `met`);
- `latest.md`: one table of every check, then each scenario's measurements and notes;
- `latest.png`: throughput and p99 against concurrency, the CRM beside its baseline, for
  every scenario measured at several concurrencies.

A goal missed is a finding, not a failure: the exit status is nonzero only when a scenario
crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.results_model import RESULTS, Check, Measurement, ScenarioResult, SuiteOptions

SCENARIOS = (
    "find_contact",
    "contacts_pages",
    "call_logging",
    "graphql_page",
    "recording_upload",
    "import_contacts",
    "screen_pop",
)
"""The scenarios in the issue's order, by module name under `bench.scenarios`."""

QUICK = SuiteOptions(
    sizes=(2_000, 20_000),
    duration=2.0,
    rounds=1,
    upload_mb=64,
    import_rows=20_000,
    calls=10,
    quick=True,
)
"""Sizes and durations small enough to run the whole suite in a few minutes."""

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Report:
    """One run of the suite: what ran, on what, under what load."""

    options: SuiteOptions
    machine: dict[str, str | int]
    results: list[ScenarioResult]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    started: str
    seconds: float
    crashed: list[str] = field(default_factory=list)


def parse(argv: Sequence[str] | None = None) -> tuple[SuiteOptions, list[str]]:
    """The options of one run and the scenarios to run, from the command line."""
    defaults = SuiteOptions()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmark suite against PostgreSQL and write bench/results/latest.*",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, short durations")
    parser.add_argument("--only", default="", help=f"comma-separated, from {','.join(SCENARIOS)}")
    parser.add_argument("--skip", default="", help="comma-separated scenarios not to run")
    parser.add_argument("--server", help=f"PostgreSQL, no database (default {defaults.server})")
    parser.add_argument("--prefix", help=f"data sets' database prefix (default {defaults.prefix})")
    parser.add_argument("--scratch-prefix", help="throw-away databases' prefix")
    parser.add_argument("--sizes", help="contacts in the two data sets, e.g. 10000,1000000")
    parser.add_argument("--concurrency", help="clients, e.g. 1,8,32")
    parser.add_argument("--duration", type=float, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, help="turns per measurement")
    parser.add_argument("--upload-mb", type=int, help="recording upload size in MiB")
    parser.add_argument("--import-rows", type=int, help="contacts imported")
    parser.add_argument("--calls", type=int, help="calls started at once for the screen pop")
    parser.add_argument("--no-profile", action="store_true", help="no py-spy profiles")
    parser.add_argument("--results", type=Path, help=f"output folder (default {RESULTS})")
    args = parser.parse_args(argv)

    options = QUICK if args.quick else defaults
    changes: dict[str, Any] = {
        name: value
        for name, value in {
            "server": args.server,
            "prefix": args.prefix,
            "scratch_prefix": args.scratch_prefix,
            "duration": args.duration,
            "rounds": args.rounds,
            "upload_mb": args.upload_mb,
            "import_rows": args.import_rows,
            "calls": args.calls,
            "results": args.results,
        }.items()
        if value is not None
    }
    if args.sizes:
        sizes = _numbers(parser, "--sizes", args.sizes)
        if len(sizes) != 2 or sizes[0] >= sizes[1]:
            parser.error("--sizes takes two sizes, the smaller first, e.g. 10000,1000000")
        changes["sizes"] = (sizes[0], sizes[1])
    if args.concurrency:
        changes["concurrency"] = tuple(_numbers(parser, "--concurrency", args.concurrency))
    if args.no_profile:
        changes["profile"] = False
    for name in ("duration", "rounds", "upload_mb", "import_rows", "calls"):
        if name in changes and changes[name] <= 0:
            parser.error(f"--{name.replace('_', '-')} must be above 0")
    names = _names(parser, "--only", args.only) or list(SCENARIOS)
    skipped = _names(parser, "--skip", args.skip)
    return replace(options, **changes), [name for name in names if name not in skipped]


def _numbers(parser: argparse.ArgumentParser, option: str, text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        parser.error(f"{option} takes whole numbers separated by commas, not {text!r}")
    if any(n <= 0 for n in numbers):
        parser.error(f"{option} takes numbers above 0, not {text!r}")
    return numbers


def _names(parser: argparse.ArgumentParser, option: str, text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(
            f"{option}: no scenario {', '.join(unknown)} (there are {', '.join(SCENARIOS)})"
        )
    return names


def run_scenario(name: str, options: SuiteOptions) -> ScenarioResult:
    """Import scenario `name` and run it; not available when its module does not exist."""
    module_name = f"bench.scenarios.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return ScenarioResult(name, name, notes=["Not available: this scenario is not written."])
    result: ScenarioResult = module.run(options)
    return result


def machine(server: str) -> dict[str, str | int]:
    """What the figures were measured on: CPU, cores, PostgreSQL, Python, the commit."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with changes)"
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "postgresql": asyncio.run(_postgres_version(server)),
        "python": platform.python_version(),
        "commit": commit,
    }


def _git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 (git, fixed arguments)
        ["git", *args],  # noqa: S607 (git from the PATH)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


async def _postgres_version(server: str) -> str:
    try:
        connection = await asyncpg.connect(f"{server}/postgres")
    except (OSError, asyncpg.PostgresError) as error:
        return f"unreachable ({type(error).__name__})"
    try:
        version: str = await connection.fetchval("SHOW server_version")
        return version
    finally:
        await connection.close()


def run(options: SuiteOptions, names: Sequence[str]) -> Report:
    """Run `names` in turn; a scenario that crashes is noted and the others still run."""
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    load_before = os.getloadavg()
    results: list[ScenarioResult] = []
    crashed: list[str] = []
    for name in names:
        print(f"== {name} (load average {os.getloadavg()[0]:.2f})", flush=True)
        try:
            results.append(run_scenario(name, options))
        except Exception:
            crashed.append(name)
            trace = traceback.format_exc()
            print(trace)
            last = trace.strip().splitlines()[-1]
            results.append(ScenarioResult(name, name, notes=[f"Crashed: {last}"]))
    return Report(
        options=options,
        machine=machine(options.server),
        results=results,
        load_before=load_before,
        load_after=os.getloadavg(),
        started=started,
        seconds=time.perf_counter() - began,
        crashed=crashed,
    )


def as_json(report: Report) -> dict[str, Any]:
    """The report as plain data; every check and scenario with whether it is met."""
    scenarios = []
    for result in report.results:
        data = asdict(result)
        data["met"] = result.met
        for check, check_data in zip(result.checks, data["checks"], strict=True):
            check_data["met"] = check.met
        scenarios.append(data)
    options = asdict(report.options)
    options["results"] = str(report.options.results)
    return {
        "started": report.started,
        "seconds": round(report.seconds, 1),
        "options": options,
        "machine": report.machine,
        "load_average_before": report.load_before,
        "load_average_after": report.load_after,
        "crashed": report.crashed,
        "scenarios": scenarios,
    }


def _figure(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _goal(check: Check) -> str:
    return f"{'≥' if check.at_least else '≤'} {_figure(check.limit)}{_unit(check.unit)}"


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


def markdown(report: Report) -> str:
    """The report as Markdown: every check in one table, then each scenario's figures."""
    load = ", ".join(
        f"{name} {' '.join(f'{x:.2f}' for x in values)}"
        for name, values in (("before", report.load_before), ("after", report.load_after))
    )
    m = report.machine
    options = report.options
    lines = [
        f"# Benchmark suite{' (quick form)' if options.quick else ''}, {report.started}",
        "",
        f"{m['cpu']}, {m['cores']} cores; PostgreSQL {m['postgresql']}; Python {m['python']};"
        f" commit {m['commit']}. Load average (1, 5, 15 min) {load}."
        f" {report.seconds / 60:.1f} minutes.",
        "",
        f"Sizes {options.sizes[0]:,} and {options.sizes[1]:,} contacts; clients"
        f" {', '.join(map(str, options.concurrency))}; {_figure(options.duration)} s per"
        f" measurement in {options.rounds} round(s); upload {options.upload_mb} MiB; import"
        f" {options.import_rows:,} rows; {options.calls} calls at once.",
    ]
    if options.quick:
        lines += ["", "**Quick form**: sizes and durations to try the suite, not figures to quote."]
    lines += ["", "| scenario | figure | value | goal | met |", "|---|---|---:|---|---|"]
    for result in report.results:
        if not result.checks:
            note = result.notes[0] if result.notes else "no checks"
            lines.append(f"| {result.title} | {note} | | | |")
        for check in result.checks:
            lines.append(
                f"| {result.title} | {check.name} | {_figure(check.value)}{_unit(check.unit)}"
                f" | {_goal(check)} | {'yes' if check.met else '**no**'} |"
            )
    for result in report.results:
        lines += ["", f"## {result.title}", ""]
        if result.measurements:
            lines += _measurements(result.measurements)
        for note in result.notes:
            lines += ["", f"- {note}"]
        if result.profile:
            lines += ["", f"Profile of the CRM: [{result.profile}]({result.profile})"]
    if report.results and any(_plotted(r) for r in report.results):
        lines += ["", "![throughput and p99 against concurrency](latest.png)"]
    kept = [line for i, line in enumerate(lines) if line or i == 0 or lines[i - 1]]
    return "\n".join(kept) + "\n"


def _measurements(measurements: list[Measurement]) -> list[str]:
    extras = sorted({key for m in measurements for key in m.extra})
    head = ["target", "clients", "throughput", "unit", "p50 ms", "p99 ms", "CPU ms", *extras]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for m in measurements:
        cells = [
            m.label,
            "" if m.concurrency is None else str(m.concurrency),
            _figure(m.throughput, 1),
            m.unit,
            _figure(m.p50_ms),
            _figure(m.p99_ms),
            _figure(m.cpu_ms),
        ]
        for key in extras:
            value = m.extra.get(key, "")
            if isinstance(value, int):
                cells.append(f"{value:,}")
            else:
                cells.append(_figure(value) if isinstance(value, float) else value)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _plotted(result: ScenarioResult) -> list[Measurement]:
    return [m for m in result.measurements if m.concurrency is not None]


def plot(report: Report, out: Path) -> bool:
    """Throughput and p99 against concurrency, a line per target, a row per scenario
    measured with concurrency; False when no scenario was."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [(r, _plotted(r)) for r in report.results if _plotted(r)]
    if not shown:
        return False
    figure, axes = plt.subplots(len(shown), 2, figsize=(11, 3.4 * len(shown)), squeeze=False)
    for (result, measurements), (left, right) in zip(shown, axes, strict=True):
        labels = list(dict.fromkeys(m.label for m in measurements))
        for label in labels:
            points = sorted(
                (m for m in measurements if m.label == label), key=lambda m: m.concurrency or 0
            )
            style = "--" if _is_baseline(label) else "-"
            for axis, values in (
                (left, [m.throughput for m in points]),
                (right, [m.p99_ms for m in points]),
            ):
                pairs = [(m.concurrency, v) for m, v in zip(points, values, strict=True) if v]
                if pairs:
                    xs, ys = zip(*pairs, strict=True)
                    axis.plot(xs, ys, style, marker="o", label=label)
        units = sorted({m.unit for m in measurements})
        left.set_title(f"{result.title}: throughput", fontsize=9)
        left.set_ylabel(", ".join(units))
        right.set_title(f"{result.title}: p99", fontsize=9)
        right.set_ylabel("ms")
        ticks = sorted({m.concurrency for m in measurements if m.concurrency is not None})
        for axis in (left, right):
            axis.set_xlabel("concurrency")
            axis.set_xscale("log", base=2)
            axis.set_xticks(ticks, [str(t) for t in ticks])
            axis.minorticks_off()
            axis.grid(alpha=0.3)
            axis.legend(fontsize=7)
    figure.suptitle(
        f"Benchmark suite{' (quick form)' if report.options.quick else ''}, {report.started},"
        f" load average {report.load_before[0]:.1f} to {report.load_after[0]:.1f}",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(out, dpi=90)
    plt.close(figure)
    return True


def _is_baseline(label: str) -> bool:
    return not label.lower().startswith("crm")


def write(report: Report) -> list[Path]:
    """Write latest.json, latest.md and (when something has concurrency) latest.png."""
    folder = report.options.results
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "latest.json", folder / "latest.md"]
    written[0].write_text(json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n")
    written[1].write_text(markdown(report))
    png = folder / "latest.png"
    if plot(report, png):
        written.append(png)
    else:
        png.unlink(missing_ok=True)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    options, names = parse(argv)
    report = run(options, names)
    for path in write(report):
        print(f"wrote {path}")
    missed = [f"{r.key}: {c.name}" for r in report.results for c in r.checks if not c.met]
    print(f"{len(missed)} check(s) missed" + "".join(f"\n  {m}" for m in missed))
    if report.crashed:
        print(f"crashed: {', '.join(report.crashed)}")
        return 1
    return 0
