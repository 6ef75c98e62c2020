"""Small checks shared by the services; each raises `ValidationFailed` naming the field."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from crm.domain.errors import NotFound, ValidationFailed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Unicode categories no one can see or type on purpose in an address: controls, format
# characters (zero-width spaces and joiners, bidi controls), private use, unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn"})

EARLIEST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
"""No record of the CRM is older: phone systems count time from the Unix epoch."""
LATEST_MOMENT = datetime(2100, 1, 1, tzinfo=UTC)
"""No record of the CRM is this far ahead; beyond, a time is a mistake (or an attack on
the conversions near the year 9999)."""

T = TypeVar("T")


def parse_id(value: str | uuid.UUID, *, field: str = "id", entity: str = "record") -> uuid.UUID:
    """A UUID from text; malformed text is an unknown id (404), never a crash."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise NotFound(f"no {entity} with id {value!r}", field=field) from None


def found(row: T | None, value: str | uuid.UUID, *, entity: str, field: str = "id") -> T:
    """`row`, or NOT_FOUND naming the id asked for when the lookup found nothing."""
    if row is None:
        raise NotFound(f"no {entity} with id {value}", field=field)
    return row


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
    return refuse_nul(text, field=field)


def refuse_nul(text: str, *, field: str) -> str:
    """`text`, refused when it holds a NUL character: PostgreSQL cannot store one, and no
    real text holds one. Every text a client gives goes through here."""
    if "\x00" in text:
        raise ValidationFailed("must not contain a NUL character", field=field)
    return text


def clean_email(value: str | None, *, field: str = "email", required: bool = False) -> str | None:
    """A plausible email address in its one stored form, or `None` when empty.

    The stored form is `email_key`'s: two ways of writing one address (a fullwidth
    letter, another case) are one address. Characters nobody can see (zero-width,
    bidi controls) would make a second address that looks like the first: refused.
    """
    text = clean_text(value, field=field, max_length=255, required=required)
    if text is None:
        return None
    if any(unicodedata.category(ch) in _INVISIBLE for ch in text):
        raise ValidationFailed("must not contain invisible or control characters", field=field)
    key = email_key(text)
    if not _EMAIL.match(key) or len(key) > 255:
        raise ValidationFailed(f"{text!r} is not an email address", field=field)
    return key


def email_key(text: str) -> str:
    """The stored form of an email address: NFKC-normalized, then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def not_null(value: T | None, *, field: str) -> T:
    """A value a client gave for a field that cannot be empty; `null` is refused.

    Leaving the field out keeps it as it is (or its default, on create); an explicit
    `null` would clear it, which such a field cannot be.
    """
    if value is None:
        raise ValidationFailed("must not be null (leave it out to keep it)", field=field)
    return value


def as_utc(value: datetime) -> datetime:
    """A stored time in UTC; a time without an offset is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_moment(value: datetime, *, field: str) -> datetime:
    """`value` in UTC (one without an offset is UTC already); the year 1 east of UTC or
    9999 west of it has no UTC form Python can hold, and is a validation error."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed("has no UTC form (out of range)", field=field) from None


def clean_moment(value: datetime, *, field: str) -> datetime:
    """A time a client gave, in UTC, between `EARLIEST_MOMENT` and `LATEST_MOMENT`;
    every time a client gives the CRM goes through here."""
    moment = utc_moment(value, field=field)
    if not EARLIEST_MOMENT <= moment < LATEST_MOMENT:
        raise ValidationFailed(
            f"must be from {EARLIEST_MOMENT.date()} up to {LATEST_MOMENT.date()} (UTC)",
            field=field,
        )
    return moment


def ascii_digits(text: str) -> bool:
    """Whether `text` is digits 0-9 only (`str.isdigit` also takes `²` and `٣`)."""
    return bool(text) and text.isascii() and text.isdigit()


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
