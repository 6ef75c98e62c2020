"""Phone number normalization: any way a number is written, to the forms we index.

A number is stored and looked up by three derived keys:
- ``e164``: the full international form, when the country can be told;
- ``national``: the national significant number (no country code, no trunk
  prefix), which matches input written without a country code;
- ``suffix``: the last ``SUFFIX_DIGITS`` digits, the last resort when neither
  of the above can be told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber

from crm.domain.errors import ValidationFailed

SUFFIX_DIGITS = 7
"""Digits kept in the ``suffix`` key; lookups never match on fewer."""

MAX_INPUT_LENGTH = 64

_INTERNATIONAL_PREFIXES = ("00", "011")
_EXTENSION = re.compile(r"(?:;\s*ext=|\s*(?:ext\.?|extension|x|#)\s*)(\d{1,10})\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NormalizedPhone:
    """A number as entered and the keys it is indexed under."""

    raw: str
    e164: str | None
    national: str
    suffix: str
    extension: str | None
    has_country_code: bool
    """Whether the input itself said which country (``+``, ``00``, ``011``, or a
    leading country code with no ``+``), rather than the default region."""

    @property
    def digits(self) -> str:
        return self.national


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _split_extension(text: str) -> tuple[str, str | None]:
    match = _EXTENSION.search(text)
    if match is None:
        return text, None
    return text[: match.start()], match.group(1)


def _parse(candidate: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(candidate, region, keep_raw_input=True)
    except NumberParseException:
        return None


def _is_whole_number(number: PhoneNumber) -> bool:
    """Possibly a whole number; a local-only number (no area code) is not, its country's
    code would be a guess."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    return bool(reason == phonenumbers.ValidationResult.IS_POSSIBLE)


def _candidates(body: str, region: str) -> list[tuple[str, bool]]:
    """Readings of the input to try, best first, each with whether it states a country."""
    stripped = body.strip()
    digits = _digits(stripped)
    if stripped.startswith("+"):
        return [("+" + digits, True)]
    readings: list[tuple[str, bool]] = []
    for prefix in _INTERNATIONAL_PREFIXES:
        if digits.startswith(prefix) and len(digits) > len(prefix) + 6:
            readings.append(("+" + digits[len(prefix) :], True))
    readings.append((digits, False))
    readings.append(("+" + digits, True))
    return readings


def normalize(raw: str, default_region: str, *, field: str = "phone") -> NormalizedPhone:
    """Read `raw` as a phone number; raise `ValidationFailed` naming `field` when it is none."""
    text = raw.strip()
    if not text:
        raise ValidationFailed("a phone number is required", field=field)
    if len(text) > MAX_INPUT_LENGTH:
        raise ValidationFailed(f"longer than {MAX_INPUT_LENGTH} characters", field=field)
    body, extension = _split_extension(text)
    if re.search(r"[^\d\s+().\-/]", body):
        raise ValidationFailed(f"{raw!r} is not a phone number", field=field)
    digits = _digits(body)
    if not digits:
        raise ValidationFailed(f"{raw!r} has no digits", field=field)
    if len(digits) > 17:
        raise ValidationFailed(f"{raw!r} has too many digits", field=field)

    possible: tuple[PhoneNumber, bool] | None = None
    for candidate, states_country in _candidates(body, default_region):
        number = _parse(candidate, default_region)
        if number is None:
            continue
        if phonenumbers.is_valid_number(number):
            return _build(raw.strip(), number, extension, states_country)
        if possible is None and _is_whole_number(number):
            possible = (number, states_country)
    if possible is not None:
        return _build(raw.strip(), possible[0], extension, possible[1])
    national = digits.lstrip("0") or digits
    return NormalizedPhone(
        raw=raw.strip(),
        e164=None,
        national=national,
        suffix=national[-SUFFIX_DIGITS:],
        extension=extension,
        has_country_code=False,
    )


def _build(
    raw: str, number: PhoneNumber, extension: str | None, states_country: bool
) -> NormalizedPhone:
    national = phonenumbers.national_significant_number(number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return NormalizedPhone(
        raw=raw,
        e164=e164,
        national=national,
        suffix=national[-SUFFIX_DIGITS:],
        extension=extension or number.extension or None,
        has_country_code=states_country,
    )
