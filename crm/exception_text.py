"""How an unexpected exception is written to the log: without what a driver appends."""

from __future__ import annotations

import traceback


def describe(exc: BaseException | None) -> str:
    """An exception's type, the first line of its message and where it was raised.

    Only the first line of the message: drivers append the failing row to theirs
    (PostgreSQL's DETAIL), which may hold a password hash or a token's hash.
    """
    if exc is None:
        return "no exception"
    message = str(exc).strip().splitlines()
    frames = "".join(traceback.format_tb(exc.__traceback__)) if exc.__traceback__ else ""
    first = message[0] if message else ""
    return f"{type(exc).__name__}: {first}\nTraceback (most recent call last):\n{frames}".rstrip()
