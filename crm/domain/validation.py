"""Small checks shared by the services; each raises `ValidationFailed` naming the field."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import UTC, datetime

import asyncpg

from crm.domain.errors import NotFound, ValidationFailed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_id(value: str | uuid.UUID, *, field: str = "id", entity: str = "record") -> uuid.UUID:
    """A UUID from text; malformed text is an unknown id (404), never a crash."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise NotFound(f"no {entity} with id {value!r}", field=field) from None


def clean_text(
    value: str | None, *, field: str, max_length: int, required: bool = False
) -> str | None:
    """Trimmed text, `None` when empty; too long or missing-but-required is an error."""
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationFailed("is required", field=field)
        return None
    if len(text) > max_length:
        raise ValidationFailed(f"must be at most {max_length} characters", field=field)
    if "\x00" in text:  # PostgreSQL cannot store it; no real text holds one
        raise ValidationFailed("must not contain a NUL character", field=field)
    return text


def clean_email(value: str | None, *, field: str = "email", required: bool = False) -> str | None:
    """A lowercased, plausible email address, or `None` when empty."""
    text = clean_text(value, field=field, max_length=255, required=required)
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise ValidationFailed(f"{text!r} is not an email address", field=field)
    return text.lower()


def clean_url(value: str | None, *, field: str) -> str | None:
    """A website: `example.com` becomes `https://example.com`."""
    text = clean_text(value, field=field, max_length=255)
    if text is None:
        return None
    if not re.match(r"^https?://", text, re.IGNORECASE):
        text = "https://" + text
    if " " in text or "." not in text:
        raise ValidationFailed(f"{value!r} is not a web address", field=field)
    return text


def now() -> datetime:
    """The current time in UTC; every timestamp the CRM writes comes from here."""
    return datetime.now(UTC)


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error says a unique constraint refused the write."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)
