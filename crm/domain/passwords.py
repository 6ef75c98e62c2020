"""Password hashing with Argon2id: slow, salted, and never stored in clear.

Argon2 is meant to be slow (tens of milliseconds and 64 MiB a hash), so it never
runs on the event loop: `Passwords` runs it in worker threads, a few at a time
(the C code releases the GIL), and the loop keeps answering other requests.
"""

from __future__ import annotations

from functools import partial

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm.domain.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


def check_password(password: str, *, field: str = "password") -> None:
    """Refuse a password too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"must be at least {MIN_PASSWORD_LENGTH} characters", field=field)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches; constant time, never raises on a mismatch. Blocking."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


class Passwords:
    """Hash and verify passwords off the event loop, at most `concurrency` at once."""

    def __init__(self, concurrency: int) -> None:
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._dummy_hash: str | None = None
        self.verifications = 0
        """Passwords verified so far (a real user's or the dummy), for metrics and tests."""

    async def hash(self, password: str, *, field: str = "password") -> str:
        """The Argon2id hash of `password`, computed in a worker thread."""
        check_password(password, field=field)
        hashed: str = await anyio.to_thread.run_sync(_hasher.hash, password, limiter=self._limiter)
        return hashed

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches `password_hash`; with no hash, the same work for
        `False`, so a missing account cannot be told apart by its timing."""
        if password_hash is None:
            password_hash = await self._dummy()
        self.verifications += 1
        matched: bool = await anyio.to_thread.run_sync(
            partial(verify_password, password_hash, password), limiter=self._limiter
        )
        return matched

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("not-a-real-password")
        return self._dummy_hash
