"""Normalization: the keys a number written any way is stored and looked up under."""

from __future__ import annotations

import pytest

from crm.domain.errors import ValidationFailed
from crm.domain.phone_normalization import normalize, readings

# (as written, default region, E.164 it means or None, national digits, extension)
CASES = [
    ("+1 (415) 555-0100", "US", "+14155550100", "4155550100", None),
    ("(415) 555-0100", "US", "+14155550100", "4155550100", None),
    ("14155550100", "US", "+14155550100", "4155550100", None),
    (" 14155550100", "GB", "+14155550100", "4155550100", None),
    (" 44 20 7946 0018", "US", "+442079460018", "2079460018", None),
    ("0044 20 7946 0018", "US", "+442079460018", "2079460018", None),
    ("011 44 20 7946 0018", "US", "+442079460018", "2079460018", None),
    ("020 7946 0018", "GB", "+442079460018", "2079460018", None),
    ("020 7946 0018", "US", None, "2079460018", None),
    ("tel:+1-415-555-0100", "US", "+14155550100", "4155550100", None),
    ("%2B44 20 7946 0018", "US", "+442079460018", "2079460018", None),
    ("+1 415 555 0100 x12", "US", "+14155550100", "4155550100", "12"),
    ("415-555-0100 ext. 12", "US", "+14155550100", "4155550100", "12"),
    ("+14155550100;ext=12", "US", "+14155550100", "4155550100", "12"),
    ("(415) 555-0100 extension 7", "US", "+14155550100", "4155550100", "7"),
    ("555-0100", "US", None, "5550100", None),
    ("0123456789", "US", None, "123456789", None),
    ("011 15-2345-6789", "US", None, "111523456789", None),
]


@pytest.mark.parametrize(("raw", "region", "e164", "national", "extension"), CASES)
def test_normalize_reads_every_format(
    raw: str, region: str, e164: str | None, national: str, extension: str | None
) -> None:
    number = normalize(raw, region)
    assert (number.e164, number.national, number.extension) == (e164, national, extension)
    assert number.suffix == national[-7:]


def test_digits_with_country_code_and_no_plus_state_the_country() -> None:
    assert normalize("14155550100", "US").has_country_code is True
    assert normalize("4155550100", "US").has_country_code is False


def test_local_only_number_gets_no_country_code_guessed() -> None:
    assert normalize("555 0100", "US").e164 is None


def test_ambiguous_digits_keep_the_foreign_reading_after_the_default_region() -> None:
    found = [r.e164 for r in readings("3612345678", "US")]
    assert found[:2] == ["+13612345678", "+3612345678"]


def test_national_number_of_another_country_keeps_its_leading_zero_as_a_reading() -> None:
    assert {"212345678", "0212345678"} <= {r.national for r in readings("02 1234 5678", "US")}


@pytest.mark.parametrize("raw", ["call me", "+", "x12", "1" * 18, "9" * 70, "tel:", "12a34"])
def test_normalize_of_no_number_fails_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize(raw, "US", field="mobile")
    assert caught.value.field == "mobile"
