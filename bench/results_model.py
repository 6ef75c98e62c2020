"""What every scenario of the benchmark suite (`python -m bench`) reports, and the options it
is run with: one shape, so that the suite can write one JSON file, one table and one plot.

A scenario is a module with `run(options: SuiteOptions) -> ScenarioResult`. It measures the
CRM next to its baseline in the same rounds, and states each goal of issue #16 as a `Check`
(a ratio or a bound), so that a figure that falls short says so in the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class SuiteOptions:
    """Sizes and durations for one run of the suite; the defaults are the issue's."""

    server: str = "postgresql://postgres@127.0.0.1:5432"
    """PostgreSQL, without the database: scenarios make or reuse databases on it."""
    prefix: str = "crm_bench"
    """Data sets are databases named `<prefix>_<contacts>`, reused while their size holds."""
    scratch_prefix: str = "crm_bs"
    """Throw-away databases (an import, a screen pop's CRM) are named `<scratch_prefix>_...`."""
    sizes: tuple[int, int] = (10_000, 1_000_000)
    """Contacts in the small and the large data set."""
    concurrency: tuple[int, ...] = (1, 8, 32)
    duration: float = 10.0
    """Seconds per measurement."""
    rounds: int = 3
    """Every server is driven in turn this many times per concurrency."""
    upload_mb: int = 1024
    import_rows: int = 1_000_000
    calls: int = 50
    """Calls started at once for the screen pop."""
    profile: bool = True
    """Record a profile of the CRM (py-spy) where a check falls short."""
    results: Path = RESULTS
    quick: bool = False
    """The quick form (small sizes, short durations): figures to try the suite, not to quote."""


@dataclass
class Measurement:
    """One figure set: a target (the CRM or its baseline) at one size and concurrency."""

    label: str
    """What was driven, e.g. `CRM, 1,000,000 contacts` or `asyncpg, 1,000,000 contacts`."""
    concurrency: int | None = None
    throughput: float | None = None
    """Requests (or rows, or MB) a second; the unit is `unit`."""
    unit: str = "req/s"
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_ms: float | None = None
    """Server CPU time per request."""
    extra: dict[str, float | int | str] = field(default_factory=dict)


@dataclass
class Check:
    """A goal: `value` against `limit`, met when at least (or at most) the limit."""

    name: str
    value: float
    limit: float
    at_least: bool
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit


@dataclass
class ScenarioResult:
    key: str
    """A short name: `find_contact`, `contacts_pages`, `call_logging`, ..."""
    title: str
    measurements: list[Measurement] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the figures mean, where a goal falls short what the profile shows."""
    profile: str | None = None
    """A profile of the CRM under this scenario, relative to `RESULTS`."""

    @property
    def met(self) -> bool:
        return all(check.met for check in self.checks)
