"""Failed-attempt counters in the database, shared by every worker and server.

A fixed window per key. Each credential kind (a sign-in, a client secret, an API
key, an access token) counts three keys for a request from an address about a
subject (the e-mail, client id or key id guessed at):

- the address: at most `max_failures` failures, then it is refused;
- the subject: failures from every address together;
- the pair of both: this address's failures on this subject.

Once the subject's failures pass the limit it is under attack, and only
addresses that already failed on it this window are refused; a request from an
address with no failures is always evaluated, so a guesser spread over many
addresses gets one guess per address and window, and never locks the owner out.

Two ways to count. `attempt` counts before the credential is checked, in one
statement that increments and returns every count, so concurrent requests
see distinct counts and at most the limit are evaluated; `succeeded` gives the
attempt back. It guards the expensive checks (passwords). `check` only reads and
`fail` counts afterwards: one read per request, for the cheap checks (keyed
hashes, signatures) that every API request makes. Keys name an address and a
subject, never a secret.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from crm.queries import ratelimit as queries

SUBJECT_MAX_LENGTH = 100
ADDRESS_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request may be evaluated, and what the RateLimit headers tell the client."""

    allowed: bool
    limit: int
    """Failures an address may have in one window."""
    remaining: int
    """Failures this address has left in the window."""
    reset_s: int
    """Seconds until the window ends."""
    window_s: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """The keys one request is counted under."""

    address: str
    subject: str
    pair: str

    @property
    def keys(self) -> tuple[str, str, str]:
        return (self.address, self.subject, self.pair)


class RateLimiter:
    """At most `max_failures` failures per address (and per address on a subject under
    attack) in each `window_s`-second window."""

    def __init__(self, max_failures: int, window_s: int) -> None:
        self.max_failures = max_failures
        self.window_s = window_s

    def _window(self) -> int:
        return int(time.time()) // self.window_s

    def retry_after(self) -> int:
        """Seconds until the current window ends."""
        return self.window_s - int(time.time()) % self.window_s

    @staticmethod
    def attempt_of(kind: str, address: str, subject: str) -> Attempt:
        """The keys of a `kind` request from `address` about `subject`."""
        address = address[:ADDRESS_MAX_LENGTH]
        subject = subject[:SUBJECT_MAX_LENGTH]
        return Attempt(
            address=f"{kind}:a:{address}",
            subject=f"{kind}:s:{subject}",
            pair=f"{kind}:p:{subject}@{address}",
        )

    async def attempt(self, kind: str, address: str, subject: str) -> Verdict:
        """Count this request as a failure before it is evaluated, and whether it may be.

        One statement increments the three counts and returns them, so of any number
        of concurrent requests at most the limit are allowed. Give an allowed attempt
        back with `succeeded` when its credentials were right.
        """
        attempt = self.attempt_of(kind, address, subject)
        return self._verdict(attempt, await self._count(attempt), pending=1)

    async def succeeded(self, kind: str, address: str, subject: str) -> None:
        """Give back an `attempt` whose credentials were right: it was no failure."""
        attempt = self.attempt_of(kind, address, subject)
        await queries.give_back(attempt.keys, self._window())

    async def check(self, kind: str, address: str, subject: str) -> Verdict:
        """Whether a request may be evaluated, from the counts so far (one read)."""
        attempt = self.attempt_of(kind, address, subject)
        counts = await queries.failures(attempt.keys, self._window())
        return self._verdict(attempt, counts, pending=0)

    async def fail(self, kind: str, address: str, subject: str) -> Verdict:
        """Count one failure of a request `check` allowed; the verdict for the next one."""
        attempt = self.attempt_of(kind, address, subject)
        return self._verdict(attempt, await self._count(attempt), pending=0)

    async def _count(self, attempt: Attempt) -> dict[str, int]:
        """Add one to each key's count in this window, atomically; the new counts."""
        return await queries.count_failure(attempt.keys, self._window())

    def refused(self) -> Verdict:
        """The verdict of a request refused without counting (the headers of a 429)."""
        return Verdict(False, self.max_failures, 0, self.retry_after(), self.window_s)

    def _verdict(self, attempt: Attempt, counts: Mapping[str, int], *, pending: int) -> Verdict:
        """`pending` is 1 when the counts already hold this request, else 0."""
        by_address = counts.get(attempt.address, 0) - pending
        on_subject = counts.get(attempt.subject, 0) - pending
        pair = counts.get(attempt.pair, 0) - pending
        under_attack = on_subject >= self.max_failures
        allowed = by_address < self.max_failures and not (under_attack and pair > 0)
        remaining = max(0, self.max_failures - by_address - pending)
        if under_attack and pair + pending > 0:
            remaining = 0
        return Verdict(allowed, self.max_failures, remaining, self.retry_after(), self.window_s)
