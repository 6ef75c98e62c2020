"""Failed-attempt counters in the database, shared by every worker and server.

A fixed window per key: one upsert counts a failure, one read tells whether a
key is over the limit. Keys name an address or a client, never a secret.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from crm.tables import RateLimit


class RateLimiter:
    """At most `max_failures` failures per key in each `window_s`-second window."""

    def __init__(self, max_failures: int, window_s: int) -> None:
        self.max_failures = max_failures
        self.window_s = window_s

    def _window(self) -> int:
        return int(time.time()) // self.window_s

    def retry_after(self) -> int:
        """Seconds until the current window ends."""
        return self.window_s - int(time.time()) % self.window_s

    async def exceeded(self, keys: Sequence[str]) -> bool:
        """Whether any of `keys` has used up its failures in this window."""
        if not keys:
            return False
        blocked: bool = await RateLimit.exists().where(
            RateLimit.key.is_in(list(keys))
            & (RateLimit.window_no == self._window())
            & (RateLimit.failures >= self.max_failures)
        )
        return blocked

    async def fail(self, keys: Sequence[str]) -> None:
        """Count one failure against each key, atomically across processes."""
        window = self._window()
        for key in keys:
            # An upsert both engines understand; a new window starts the count again.
            await RateLimit.raw(
                "INSERT INTO crm_rate_limit (id, key, window_no, failures) VALUES ({}, {}, {}, 1) "
                "ON CONFLICT (key) DO UPDATE SET "
                "failures = CASE WHEN crm_rate_limit.window_no = excluded.window_no "
                "THEN crm_rate_limit.failures + 1 ELSE 1 END, "
                "window_no = excluded.window_no",
                uuid.uuid4(),
                key,
                window,
            )
