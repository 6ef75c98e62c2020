"""Database drivers' refusals, translated once for both engines into the domain's errors.

A unique, not-null or foreign-key violation means the same on SQLite and PostgreSQL;
the services name the rule a refusal broke (a duplicate, a missing value, a reference
to a row that is gone) and never look at a driver's exception.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from crm.domain.errors import Conflict, DomainError, NotFound, ValidationFailed


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error says a unique constraint refused the write."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


def _is_not_null_violation(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.NotNullViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "NOT NULL" in str(exc)


def _is_foreign_key_violation(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "FOREIGN KEY" in str(exc)


def _column(exc: BaseException) -> str | None:
    """The column a not-null violation names: asyncpg says it, SQLite writes `table.column`."""
    if isinstance(exc, asyncpg.PostgresError):
        column = getattr(exc, "column_name", None)
        return column if isinstance(column, str) else None
    return str(exc).rsplit(".", 1)[-1].strip() or None


def domain_error_of(exc: BaseException) -> DomainError | None:
    """The domain error a driver's refusal means, or `None` when it is no refused write."""
    if is_unique_violation(exc):
        return Conflict("such a record exists already")
    if _is_not_null_violation(exc):
        return ValidationFailed("is required", field=_column(exc))
    if _is_foreign_key_violation(exc):
        return NotFound("a record it refers to does not exist")
    return None


@contextmanager
def driver_errors_translated() -> Iterator[None]:
    """Run database writes, raising a refused write as the domain error it means."""
    try:
        yield
    except Exception as exc:
        error = domain_error_of(exc)
        if error is None:
            raise
        raise error from exc
