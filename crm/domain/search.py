"""Text search that behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

LIKE_ESCAPE = "\\"
"""The escape character every `LIKE ... ESCAPE` in the services declares."""


def contains_pattern(text: str) -> str:
    """A lowercased `LIKE` pattern matching `text` anywhere, its own `%` and `_` taken literally.

    Compared against `lower(column)`: SQLite's `LIKE` ignores case only for ASCII
    and PostgreSQL's `LIKE` never does, so both sides are lowercased explicitly.
    """
    escaped = (
        text.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
