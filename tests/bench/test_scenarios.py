"""The benchmark scenarios run end to end at a tiny size and report every check with a
finite value: the figures themselves are measured in `bench/`, never asserted here."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bench.results_model import ScenarioResult, SuiteOptions
from bench.scenarios import call_logging, contacts_pages, graphql_page

DATABASE_URL = os.environ.get("CRM_TEST_DATABASE_URL", "")
SIZES = (300, 400)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"), reason="the scenarios run on PostgreSQL"
    ),
]


async def _drop(server: str, names: list[str]) -> None:
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def options() -> Iterator[SuiteOptions]:
    """Tiny options on the test database's server; data sets named after the test
    database, dropped afterwards."""
    parts = urlsplit(DATABASE_URL)
    server = urlunsplit(parts._replace(path=""))
    prefix = f"{parts.path.lstrip('/')}_sc"
    yield SuiteOptions(
        server=server,
        prefix=prefix,
        sizes=SIZES,
        concurrency=(1, 2),
        duration=0.5,
        rounds=1,
        profile=False,
    )
    asyncio.run(_drop(server, [f"{prefix}_{size}" for size in SIZES]))


@pytest.mark.parametrize(
    ("run", "key", "checks"),
    [
        (contacts_pages.run, "contacts_pages", 2),
        (call_logging.run, "call_logging", 1),
        (graphql_page.run, "graphql_page", 2),
    ],
    ids=["contacts_pages", "call_logging", "graphql_page"],
)
def test_a_scenario_reports_its_checks_with_finite_values(
    options: SuiteOptions, run: Callable[[SuiteOptions], ScenarioResult], key: str, checks: int
) -> None:
    result = run(options)
    assert result.key == key
    assert len(result.checks) == checks, result.checks
    assert all(math.isfinite(check.value) and check.value > 0 for check in result.checks)
    measured = [m for m in result.measurements if m.concurrency is not None]
    assert {m.concurrency for m in measured} == {1, 2}
    assert all(m.throughput and m.extra["errors"] == 0 for m in measured), measured
