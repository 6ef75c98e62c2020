"""The failure counters of `crm.domain.ratelimit`: one statement per way of counting."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from crm.queries.rows import fetch

_COUNT = (
    "INSERT INTO crm_rate_limit (id, key, window_no, failures) VALUES {} "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN crm_rate_limit.window_no = excluded.window_no "
    "THEN crm_rate_limit.failures + 1 ELSE 1 END, "
    "window_no = excluded.window_no "
    "RETURNING key, failures"
)
_GIVE_BACK = (
    "UPDATE crm_rate_limit SET failures = failures - 1 "
    "WHERE key IN ({}, {}, {}) AND window_no = {} AND failures > 0"
)
_READ = "SELECT key, failures FROM crm_rate_limit WHERE key IN ({}, {}, {}) AND window_no = {}"


async def count_failure(keys: Sequence[str], window: int) -> dict[str, int]:
    """Add one to each key's count in `window` (a count of an older window starts again
    at one), atomically, in one statement; the new counts."""
    rows = ", ".join(["({}, {}, {}, 1)"] * len(keys))
    args: list[object] = []
    for key in keys:
        args += [uuid.uuid4(), key, window]
    return _counts(await fetch(_COUNT.format(rows), *args))


async def give_back(keys: tuple[str, str, str], window: int) -> None:
    """Take one back from each key's count in `window`, never below zero."""
    await fetch(_GIVE_BACK, *keys, window)


async def failures(keys: tuple[str, str, str], window: int) -> dict[str, int]:
    """The keys' counts in `window`; a key with none is left out."""
    return _counts(await fetch(_READ, *keys, window))


def _counts(records: Sequence[Mapping[str, object]]) -> dict[str, int]:
    return {str(record["key"]): int(str(record["failures"])) for record in records}
