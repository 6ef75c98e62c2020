"""Text search that behaves the same on SQLite and PostgreSQL.

Case is folded in Python, never by the database: SQLite's `lower()` and `LIKE` fold
ASCII letters only, PostgreSQL's follow the server's locale. The services store a
folded copy of the searchable text (`search_text`) and match patterns folded the
same way against it with a plain `LIKE`.
"""

from __future__ import annotations

import unicodedata

LIKE_ESCAPE = "\\"
"""The escape character every `LIKE ... ESCAPE` of the queries declares."""


def fold(text: str) -> str:
    """`text` in the form that compares without case: Unicode case folding (`Ä` and `ä`,
    `ß` and `ss`), with compatibility forms and combining accents composed alike.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def contact_search_text(first_name: str, last_name: str, email: str | None) -> str:
    """What a contact's text filter matches: the full name, then the email."""
    return fold(f"{first_name} {last_name}\n{email or ''}")


def contains_pattern(text: str) -> str:
    """A folded `LIKE` pattern matching `text` anywhere, its own `%` and `_` taken literally.

    Compare it with a `search_text` column, which holds text folded the same way.
    """
    escaped = (
        fold(text)
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
