"""The lenient readers, table by table: every form Ringotel may send, and what it means."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm.domain.errors import ValidationFailed
from facade import lenient


def refusal(read: Callable[[Any, str], object], value: Any, field: str) -> ValidationFailed:
    """The error `read` raises for `value`, checked to name `field`."""
    with pytest.raises(ValidationFailed) as caught:
        read(value, field)
    assert caught.value.field == field
    return caught.value


ABSENT = ["", "   ", None, "$phone$", "$API key$", " $call_end$ "]


@pytest.mark.parametrize("value", ABSENT)
def test_empty_null_and_unfilled_placeholder_are_absent(value: Any) -> None:
    assert lenient.is_absent(value)
    for read in (
        lenient.text,
        lenient.phone,
        lenient.timestamp,
        lenient.duration,
        lenient.count,
        lenient.direction,
        lenient.status,
    ):
        assert read(value, "x") is None


@pytest.mark.parametrize("value", ["Ann", 0, "0", "$", "$5 off", "a$b$", False])
def test_values_that_only_look_empty_are_present(value: Any) -> None:
    assert not lenient.is_absent(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Ann ", "Ann"),
        (42, "42"),
        (42.0, "42"),
        (4.5, "4.5"),
    ],
)
def test_text_trims_and_accepts_numbers(value: Any, expected: str) -> None:
    assert lenient.text(value, "firstname") == expected


@pytest.mark.parametrize("value", [True, [1], {"a": 1}, "nul\x00byte"])
def test_text_refuses_non_scalars_and_nul_naming_the_field(value: Any) -> None:
    refusal(lenient.text, value, "firstname")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+1 (555) 010-2030", "+1 (555) 010-2030"),
        ("15550102030", "15550102030"),
        (15550102030, "15550102030"),
        ("0044 20 7946 0018", "0044 20 7946 0018"),
        (" 15550102030", "+15550102030"),  # `?phone=+15550102030` read as form data
        (" 1 555 010 2030", "+1 555 010 2030"),
        ("%2B15550102030", "+15550102030"),
        ("555-0102 ext. 12", "555-0102 ext. 12"),
    ],
)
def test_phone_keeps_any_format_and_restores_a_lost_plus(value: Any, expected: str) -> None:
    assert lenient.phone(value, "phone") == expected


MOMENT = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_796_040_005_000, MOMENT),  # epoch milliseconds
        ("1796040005000", MOMENT),
        (1_796_040_005, MOMENT),  # epoch seconds
        ("1796040005", MOMENT),
        (1_796_040_005.5, MOMENT + timedelta(milliseconds=500)),
        ("2026-11-30T12:00:05Z", MOMENT),
        ("2026-11-30T12:00:05+00:00", MOMENT),
        ("2026-11-30T13:00:05+01:00", MOMENT),
        ("2026-11-30 12:00:05", MOMENT),  # no offset: UTC
        ("2026-11-30T12:00:05.000Z", MOMENT),
    ],
)
def test_timestamp_reads_epoch_ms_epoch_s_and_iso8601_as_utc(
    value: Any, expected: datetime
) -> None:
    result = lenient.timestamp(value, "call_start")
    assert result == expected
    assert result is not None
    assert result.tzinfo is not None
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["yesterday", "30/11/2026", True, [1], 10**20, "1e400"])
def test_timestamp_refuses_what_is_no_time(value: Any) -> None:
    refusal(lenient.timestamp, value, "call_start")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (65, 65), ("65", 65), (" 65 ", 65), (65.4, 65), ("65.6", 66), (65.0, 65)],
)
def test_duration_reads_numbers_and_numeric_strings(value: Any, expected: int) -> None:
    assert lenient.duration(value, "call_duration") == expected


@pytest.mark.parametrize("value", ["1m5s", "-3", -1, True, 2**40, {"s": 1}])
def test_duration_refuses_negative_huge_and_non_numbers(value: Any) -> None:
    refusal(lenient.duration, value, "call_duration")


@pytest.mark.parametrize(
    ("value", "expected"), [("10", 10), (10, 10), (10.0, 10), ("0", 0), (2**40, 2**31 - 1)]
)
def test_count_reads_whole_numbers(value: Any, expected: int) -> None:
    assert lenient.count(value, "limit") == expected


@pytest.mark.parametrize("value", ["ten", "1.5", 1.5, True])
def test_count_refuses_fractions_and_words(value: Any) -> None:
    refusal(lenient.count, value, "limit")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("inbound", "INBOUND"),
        ("IN", "INBOUND"),
        ("incoming", "INBOUND"),
        ("Incoming", "INBOUND"),
        ("outbound", "OUTBOUND"),
        ("out", "OUTBOUND"),
        ("outgoing", "OUTBOUND"),
        (" OUTBOUND ", "OUTBOUND"),
    ],
)
def test_direction_synonyms(value: str, expected: str) -> None:
    assert lenient.direction(value, "direction") == expected


@pytest.mark.parametrize("value", ["sideways", "i", 1])
def test_direction_refuses_unknown_words(value: Any) -> None:
    refusal(lenient.direction, value, "direction")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ringing", "RINGING"),
        ("ANSWERED", "ANSWERED"),
        ("connected", "ANSWERED"),
        ("in-progress", "ANSWERED"),
        ("completed", "COMPLETED"),
        ("ended", "COMPLETED"),
        ("missed", "MISSED"),
        ("no-answer", "MISSED"),
        ("NO_ANSWER", "MISSED"),
        ("busy", "BUSY"),
        ("failed", "FAILED"),
        ("canceled", "CANCELLED"),
        ("Cancelled", "CANCELLED"),
        ("voicemail", "VOICEMAIL"),
        ("voice mail", "VOICEMAIL"),
    ],
)
def test_status_synonyms_in_any_case(value: str, expected: str) -> None:
    assert lenient.status(value, "status") == expected


def test_status_refusal_names_the_field_and_the_known_statuses() -> None:
    assert "COMPLETED" in refusal(lenient.status, "exploded", "status").message
