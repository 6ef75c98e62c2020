"""Profiles of the CRM under a scenario's load, with py-spy, for a check that falls short.

py-spy samples the server from outside (it needs ptrace: root, or the same user with
ptrace allowed), without pausing it (`--nonblocking`), so the profile costs the server
little. Only samples holding the GIL count (`--gil`): the Python code on the CPU, not the
threads waiting in a selector or a lock. Two recorders run side by side: one draws the
flame graph a reader opens, the other writes collapsed stacks (`--format raw`) that are
summed into the functions with the most own time, for the scenario's notes.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.results_model import ScenarioResult

PY_SPY = str(Path(sys.executable).parent / "py-spy")
TOP = 5


@dataclass
class Recording:
    """py-spy recording a process; `finish` waits for it and sums where the time went."""

    svg: Path
    raw: Path
    processes: tuple[subprocess.Popen[bytes], ...]

    def finish(self, timeout: float | None = 60) -> list[tuple[str, float]]:
        """Wait for the recorders; the functions with the most own time and their share."""
        for process in self.processes:
            process.wait(timeout=timeout)
        if not self.raw.exists():
            return []
        top = own_time(self.raw.read_text())
        self.raw.unlink()
        return top


def record(pid: int, seconds: float | None, out: Path) -> Recording:
    """Start recording `pid` (and its subprocesses) for `seconds`, or until it exits, into
    the flame graph `out` (an `.svg`); drive the load meanwhile, then call `finish()`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_suffix(".txt")
    common = ["record", "--pid", str(pid), "--nonblocking", "--subprocesses", "--gil"]
    if seconds is not None:
        common += ["--duration", str(max(1, round(seconds)))]
    processes = tuple(
        subprocess.Popen(  # noqa: S603 (py-spy beside this interpreter)
            [PY_SPY, *common, *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for extra in (
            ["--format", "flamegraph", "-o", str(out)],
            ["--format", "raw", "--nolineno", "-o", str(raw)],
        )
    )
    return Recording(out, raw, processes)


def own_time(collapsed: str, top: int = TOP) -> list[tuple[str, float]]:
    """From collapsed stacks (`frame;frame;frame count` a line), the `top` innermost frames
    by samples, as (frame, share of all samples)."""
    counts: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[stack.rsplit(";", 1)[-1]] += int(count)
    total = sum(counts.values())
    return [(frame, n / total) for frame, n in counts.most_common(top)] if total else []


def note(top: list[tuple[str, float]]) -> str:
    """One line for a scenario's notes: where the server's time went."""
    if not top:
        return "py-spy recorded no samples of the server."
    listed = "; ".join(f"{frame} {share:.0%}" for frame, share in top)
    return f"Top {len(top)} functions by own time holding the GIL (py-spy): {listed}."


def profile_path(results: Path, key: str) -> Path:
    """Where scenario `key`'s flame graph goes, under the results folder."""
    return results / "profiles" / f"{key}.svg"


async def profile_while(
    pid: int, seconds: float, out: Path, load: Callable[[float], Awaitable[object]]
) -> list[tuple[str, float]]:
    """Record `pid` while `load(seconds)` drives it; the functions with the most own time."""
    recording = record(pid, seconds, out)
    await load(seconds)
    return await asyncio.to_thread(recording.finish)


def attach(result: ScenarioResult, results: Path, top: list[tuple[str, float]]) -> None:
    """Point `result` at its flame graph (written by `profile_while` under `results`) and
    name where the time went in its notes."""
    svg = profile_path(results, result.key)
    if svg.exists():
        result.profile = str(svg.relative_to(results))
    result.notes.append(note(top))
