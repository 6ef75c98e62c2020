"""Phone number normalization: any way a number is written, to the forms we index.

A number is stored and looked up by three derived keys:
- ``e164``: the full international form, when the country can be told;
- ``national``: the national significant number (no country code, no trunk
  prefix), which matches input written without a country code;
- ``suffix``: the last ``SUFFIX_DIGITS`` digits, the last resort when neither
  of the above can be told.

Writes store `normalize`'s keys and lookups seek `readings`' keys; `normalize`
is the first reading, so both sides always agree on what a key means.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import CountryCodeSource, NumberParseException, PhoneNumber

from crm.domain.errors import ValidationFailed

SUFFIX_DIGITS = 7
"""Digits kept in the ``suffix`` key; lookups never match on fewer."""

MAX_INPUT_LENGTH = 64
MAX_DIGITS = 17
MIN_DIGITS = 4
"""The fewest digits a stored number has: no country's numbers are shorter (phonenumbers'
metadata), so `0` or `12` is a typo, not a number to keep."""

_INTERNATIONAL_PREFIXES = ("00", "011")
_EXTENSION = re.compile(
    r"(?:;\s*ext=|\s*(?:ext\.?|extension|x|#)\s*)(\d{1,10})\s*$",
    re.IGNORECASE,
)
_NOT_A_NUMBER = re.compile(r"[^\d\s+().\-/]")
# A country code the input itself stated, as opposed to one taken from the default region.
_STATED = frozenset(
    {
        CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        CountryCodeSource.FROM_NUMBER_WITH_IDD,
        CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,
    }
)


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


def restore_plus(text: str) -> str:
    """`text` with a leading `%2B` turned back into the `+` it was before it was URL-encoded
    twice on the way; every reader of a number undoes it here."""
    if text[:3].upper() == "%2B":
        return "+" + text[3:].strip()
    return text


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


def _clean(raw: str, field: str) -> tuple[str, str, str | None]:
    """The trimmed input, its number part (with a ``tel:`` or ``%2B`` form undone) and
    its extension; raises when the input is no phone number."""
    text = raw.strip()
    if not text:
        raise ValidationFailed("a phone number is required", field=field)
    if len(text) > MAX_INPUT_LENGTH:
        raise ValidationFailed(f"longer than {MAX_INPUT_LENGTH} characters", field=field)
    body, extension = _split_extension(text)
    body = body.strip()
    if body[:4].lower() == "tel:":  # RFC 3966, as phone systems and vCards write it
        body = body[4:]
    body = restore_plus(body)
    if _NOT_A_NUMBER.search(body):
        raise ValidationFailed(f"{raw!r} is not a phone number", field=field)
    digits = _digits(body)
    if not digits:
        raise ValidationFailed(f"{raw!r} has no digits", field=field)
    if len(digits) > MAX_DIGITS:
        raise ValidationFailed(f"{raw!r} has too many digits", field=field)
    return text, body, extension


def readings(raw: str, default_region: str, *, field: str = "phone") -> list[NormalizedPhone]:
    """Every plausible reading of `raw`, best first; raise `ValidationFailed` naming
    `field` when it is no phone number.

    A number with an international prefix (``+``, ``00``, ``011``) has one reading
    when it is a possible number. Otherwise each valid reading counts: in the
    default region, then with a country code that arrived without its ``+`` (or
    with the ``+`` turned into a space), then, when nothing tells the country, the
    bare digits without trunk zeros, which lookup matches against national numbers
    of any country.
    """
    return list(_each_reading(raw, default_region, field))


def normalize(raw: str, default_region: str, *, field: str = "phone") -> NormalizedPhone:
    """Read `raw` as a phone number; raise `ValidationFailed` naming `field` when it is none.

    The keys a stored number is indexed under: the best of its `readings`, worked out
    without the others (a bulk import normalises millions).
    """
    return next(_each_reading(raw, default_region, field))


def _each_reading(raw: str, default_region: str, field: str) -> Iterator[NormalizedPhone]:
    """`readings`, one at a time (there is always at least one)."""
    text, body, extension = _clean(raw, field)
    digits = _digits(body)
    found: list[NormalizedPhone] = []

    def fresh(number: PhoneNumber, states_country: bool) -> NormalizedPhone | None:
        reading = _build(text, number, extension, states_country)
        if all(r.e164 != reading.e164 for r in found):
            found.append(reading)
            return reading
        return None

    plus = body.startswith("+")
    international = _international(body, digits)
    if international is not None:
        number = _parse(international, default_region)
        # After `+` a possible number is believed; `00`/`011` may also start a national
        # number (011 is Buenos Aires), so there only a valid one is. (Possible first: it
        # only counts digits, where validity matches every kind of number's pattern.)
        if number is not None and (
            (plus and _is_whole_number(number)) or phonenumbers.is_valid_number(number)
        ):
            if (reading := fresh(number, True)) is not None:
                yield reading
            if plus:
                return
    for candidate in (digits, "+" + digits):
        number = _parse(candidate, default_region)
        if number is not None and phonenumbers.is_valid_number(number):
            states = candidate.startswith("+") or number.country_code_source in _STATED
            if (reading := fresh(number, states)) is not None:
                yield reading
    if international is not None and found:
        return
    # Trunk zeros dropped (most countries), and kept (Italy's numbers begin with one).
    for bare in dict.fromkeys((digits.lstrip("0") or digits, digits)):
        if all(r.national != bare for r in found):
            reading = NormalizedPhone(
                raw=text,
                e164=None,
                national=bare,
                suffix=bare[-SUFFIX_DIGITS:],
                extension=extension,
                has_country_code=False,
            )
            found.append(reading)
            yield reading


def normalize_stored(raw: str, default_region: str, *, field: str = "phone") -> NormalizedPhone:
    """`normalize` for a number to keep (a contact's, a company's, a user's): one with fewer
    than `MIN_DIGITS` digits is refused. A lookup reads any input, an extension included."""
    number = normalize(raw, default_region, field=field)
    if len(number.national) < MIN_DIGITS:
        raise ValidationFailed(
            f"{raw!r} is too short to be a phone number (at least {MIN_DIGITS} digits)",
            field=field,
        )
    return number


def is_internal_extension(e164: str | None, national: str | None, max_digits: int) -> bool:
    """Whether a number is an extension on the organisation's own phone system: no country
    can be told and it has at most `max_digits` digits (the `internal_extension_max_digits`
    setting). Lookup never matches such a number, and nothing else may match on it: two
    contacts who share `4321` are people at two different switchboards."""
    return e164 is None and national is not None and len(national) <= max_digits


def _international(body: str, digits: str) -> str | None:
    """The number in ``+`` form when the input starts with an international prefix."""
    if body.startswith("+"):
        return "+" + digits
    for prefix in _INTERNATIONAL_PREFIXES:
        if digits.startswith(prefix) and len(digits) > len(prefix) + 6:
            return "+" + digits[len(prefix) :]
    return None


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
