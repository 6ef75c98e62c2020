"""Lenient readers of what Ringotel sends: one small pure function per kind of value.

Ringotel's framework does not say how it encodes values, so each reader accepts
every reasonable form (contract, section 4) and returns `None` for "absent": an
empty string, `null`, or a placeholder Ringotel left unfilled (`$name$`). A value
that cannot be understood raises `ValidationFailed` naming the field.

Each reader also has a type (`Text`, `Phone`, `Timestamp`, ...): an `Annotated` JSON
scalar that carries the reader and the OpenAPI schema of what it understands. A request
body declared with them (a `LenientBody`) accepts any JSON scalar in each field and
reads it on arrival, so a handler sees only values it can use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Annotated, Any, TypeVar, get_type_hints

import msgspec

from crm.domain.call_status import ActivityStatus, direction_named, status_named
from crm.domain.errors import ValidationFailed
from crm.domain.phone_normalization import restore_plus
from crm.domain.validation import clean_moment, refuse_nul

_T = TypeVar("_T")
_PLACEHOLDER = re.compile(r"^\$[^$\s][^$]*\$$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_MAX_INT32 = 2**31 - 1
# Epoch values at or above this are milliseconds: as seconds it would be the year 5138.
_MILLISECONDS_FROM = 100_000_000_000


def is_absent(value: Any) -> bool:
    """`None`, blank text or an unfilled `$placeholder$`: Ringotel had no value."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or bool(_PLACEHOLDER.match(text))
    return False


def text(value: Any, field: str) -> str | None:
    """Free text; numbers are accepted as their digits (a name sent as a number is still text)."""
    if is_absent(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed("must be text", field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return refuse_nul(str(value).strip(), field=field)


def phone(value: Any, field: str) -> str | None:
    """A phone number in any format; a `+` that arrived as a space (query strings) is restored.

    Normalizing to E.164 is the domain's job; this only recovers what the transport mangled.
    """
    raw = text(value, field)
    if raw is None:
        return None
    original = value if isinstance(value, str) else raw
    if original[:1].isspace() and raw[:1].isdigit():
        return "+" + raw  # `?phone=+1555...` decoded as form data turns the `+` into a space
    return restore_plus(raw)


def timestamp(value: Any, field: str) -> datetime | None:
    """A moment as epoch milliseconds, epoch seconds or ISO 8601, as an aware UTC datetime
    in the range the domain accepts (`clean_moment`)."""
    if is_absent(value):
        return None
    if isinstance(value, bool):
        raise ValidationFailed("must be a time", field=field)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value.strip())
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= _MILLISECONDS_FROM else value
        try:
            return clean_moment(datetime.fromtimestamp(seconds, UTC), field=field)
        except (OverflowError, OSError, ValueError):
            raise ValidationFailed(f"{value!r} is out of range", field=field) from None
    if not isinstance(value, str):
        raise ValidationFailed("must be a time", field=field)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"{value!r} is not epoch milliseconds, epoch seconds or ISO 8601", field=field
        ) from None
    return clean_moment(moment, field=field)  # a time without an offset is read as UTC


def duration(value: Any, field: str) -> int | None:
    """Whole seconds from a number or a numeric string; fractions are rounded."""
    if is_absent(value):
        return None
    if isinstance(value, bool):
        raise ValidationFailed("must be a number of seconds", field=field)
    if isinstance(value, str):
        if not _NUMBER.match(value.strip()):
            raise ValidationFailed(f"{value!r} is not a number of seconds", field=field)
        value = float(value.strip())
    if not isinstance(value, int | float):
        raise ValidationFailed("must be a number of seconds", field=field)
    seconds = round(value)
    if seconds < 0:
        raise ValidationFailed("must not be negative", field=field)
    if seconds > _MAX_INT32:
        raise ValidationFailed("is too large", field=field)
    return seconds


def count(value: Any, field: str) -> int | None:
    """A whole number such as a page size, from a number or a numeric string."""
    if is_absent(value):
        return None
    if isinstance(value, bool):
        raise ValidationFailed("must be a whole number", field=field)
    if isinstance(value, str) and re.match(r"^[+-]?\d+$", value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValidationFailed(f"{value!r} is not a whole number", field=field)
    return max(min(value, _MAX_INT32), -_MAX_INT32)


def direction(value: Any, field: str) -> str | None:
    """`inbound`/`outbound` or a synonym (`in`, `incoming`, `out`, `outgoing`), any case."""
    return _named(value, field, direction_named, "inbound or outbound")


_STATUSES = ", ".join(sorted(status.name for status in ActivityStatus))


def status(value: Any, field: str) -> str | None:
    """A call status, in any case and with the usual synonyms (`no-answer`, `canceled`, ...)."""
    return _named(value, field, status_named, f"a call status ({_STATUSES})")


def _named(
    value: Any, field: str, named: Callable[[str], Enum | None], expected: str
) -> str | None:
    """The name of the member `value` stands for in the domain's synonym table `named`;
    a word the table does not know is refused, saying what was `expected`."""
    word = text(value, field)
    if word is None:
        return None
    found = named(word)
    if found is None:
        raise ValidationFailed(f"{value!r} is not {expected}", field=field)
    return found.name


def moment(value: Any, field: str) -> str | None:
    """`timestamp` in the form GraphQL variables take it: ISO 8601 text."""
    read = timestamp(value, field)
    return None if read is None else read.isoformat()


def required(value: _T | None, field: str) -> _T:
    """`value`, which the request must carry: absent, it is refused by name."""
    if value is None:
        raise ValidationFailed("is required", field=field)
    return value


# --- the types ----------------------------------------------------------------------

Scalar = str | int | float | bool | None
"""What a lenient field holds: any JSON scalar as sent, and after reading the value read."""

Reader = Callable[[Any, str], Scalar]


@dataclass(frozen=True, slots=True)
class Reads:
    """The reader a lenient type's value goes through."""

    reader: Reader


class Required:
    """Marks a body field the request must carry (absent, it is refused by name)."""


REQUIRED = Required()

_JSON_TEXT = {"type": "string"}
_JSON_NUMBER = {"type": "number"}
_JSON_NULL = {"type": "null"}
_JSON_SECONDS = {
    "type": "number",
    "minimum": -0.5,  # rounds to 0
    "exclusiveMaximum": 2**31 - 0.5,  # rounds past GraphQL's Int
    "description": "Seconds; fractions are rounded.",
}


def _accepts(*types: dict[str, Any]) -> msgspec.Meta:
    """The OpenAPI schema of a lenient value: `anyOf` the JSON types its reader understands,
    never `oneOf`, which an integer, matching both `integer` and `number`, would fail.
    Booleans, arrays and objects are refused (422 or 400)."""
    return msgspec.Meta(extra_json_schema={"extra": {"one_of": None, "any_of": list(types)}})


Text = Annotated[Scalar, Reads(text), _accepts(_JSON_TEXT, _JSON_NUMBER, _JSON_NULL)]
Phone = Annotated[Scalar, Reads(phone), _accepts(_JSON_TEXT, _JSON_NUMBER, _JSON_NULL)]
Timestamp = Annotated[Scalar, Reads(moment), _accepts(_JSON_TEXT, _JSON_NUMBER, _JSON_NULL)]
Duration = Annotated[Scalar, Reads(duration), _accepts(_JSON_SECONDS, _JSON_TEXT, _JSON_NULL)]
Direction = Annotated[Scalar, Reads(direction), _accepts(_JSON_TEXT, _JSON_NUMBER, _JSON_NULL)]
Status = Annotated[Scalar, Reads(status), _accepts(_JSON_TEXT, _JSON_NUMBER, _JSON_NULL)]


class LenientBody(msgspec.Struct, kw_only=True):
    """A request body of lenient fields, each read by its type's reader as it arrives.

    A value no reader understands is refused naming its field (422); a `Required` field
    left absent is refused the same way.
    """

    def __post_init__(self) -> None:
        read_fields(self)


def read_fields(body: msgspec.Struct) -> None:
    """Read each lenient field of `body` in place; a value no reader understands, or a
    `Required` one left absent, is refused naming its field. A body that is no
    `LenientBody` is read when its handler chooses (after its credentials are checked)."""
    for name, (reader, is_required) in _field_readers(type(body)).items():
        value = reader(getattr(body, name), name)
        setattr(body, name, required(value, name) if is_required else value)


@cache
def _field_readers(body: type[msgspec.Struct]) -> dict[str, tuple[Reader, bool]]:
    """Each field's reader and whether it is required, from its declared type."""
    readers: dict[str, tuple[Reader, bool]] = {}
    for name, hint in get_type_hints(body, include_extras=True).items():
        metadata = getattr(hint, "__metadata__", ())
        reads = [m.reader for m in metadata if isinstance(m, Reads)]
        if reads:
            readers[name] = (reads[0], any(isinstance(m, Required) for m in metadata))
    return readers
