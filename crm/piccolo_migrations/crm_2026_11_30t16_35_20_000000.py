"""Index the calls of a contact by the line they were on, and fill that line for old calls.

A company's main line ranks the contacts who share it by who called from it last:
the latest call of a contact on one line is read from the end of the index on
(contact, party_e164, started_at). Calls logged before the column existed get their
other party's number normalized here, in batches, as the write path does it (with the
configured default region); the column was added by the previous migration.

The normalization is frozen here as the write path did it when this migration was
written, so that a later change to the live code cannot change what it does.
"""

import re

import phonenumbers
from phonenumbers import NumberParseException
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from crm.settings import load_settings

ID = "2026-11-30T16:35:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "calls by contact and line; fill party_e164 of existing calls"

INDEX = "crm_activity_contact_party_started_at"
BATCH = 1000

_MAX_INPUT_LENGTH = 64
_MAX_DIGITS = 17
_INTERNATIONAL_PREFIXES = ("00", "011")
_EXTENSION = re.compile(
    r"(?:;\s*ext=|\s*(?:ext\.?|extension|x|#)\s*)(\d{1,10})\s*$",
    re.IGNORECASE,
)
_NOT_A_NUMBER = re.compile(r"[^\d\s+().\-/]")


def _parse(candidate, region):
    try:
        return phonenumbers.parse(candidate, region, keep_raw_input=True)
    except NumberParseException:
        return None


def _e164(raw, region):
    """The E.164 form of the best reading of `raw`; `None` when it has none or is no number."""
    text = raw.strip()
    if not text or len(text) > _MAX_INPUT_LENGTH:
        return None
    match = _EXTENSION.search(text)
    body = (text if match is None else text[: match.start()]).strip()
    if body[:4].lower() == "tel:":
        body = body[4:]
    if body[:3].upper() == "%2B":
        body = "+" + body[3:]
    if _NOT_A_NUMBER.search(body):
        return None
    digits = "".join(ch for ch in body if ch.isdigit())
    if not digits or len(digits) > _MAX_DIGITS:
        return None
    plus = body.startswith("+")
    international = None
    if plus:
        international = "+" + digits
    else:
        for prefix in _INTERNATIONAL_PREFIXES:
            if digits.startswith(prefix) and len(digits) > len(prefix) + 6:
                international = "+" + digits[len(prefix) :]
                break
    # After `+` a possible number is believed; `00`/`011` may also start a national number.
    if international is not None:
        number = _parse(international, region)
        if number is not None and (
            phonenumbers.is_valid_number(number) or (plus and _is_whole_number(number))
        ):
            return _format(number)
    for candidate in (digits, "+" + digits):
        number = _parse(candidate, region)
        if number is not None and phonenumbers.is_valid_number(number):
            return _format(number)
    return None


def _is_whole_number(number):
    reason = phonenumbers.is_possible_number_with_reason(number)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE


def _format(number):
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def party_e164(direction, from_number, to_number, region):
    """The other party's number in E.164: the caller of an inbound call, the one called of
    an outbound one; `None` when it is withheld or its country cannot be told."""
    number = from_number if direction == "inbound" else to_number
    return _e164(number, region) if number else None


async def _fill() -> None:
    engine = engine_finder()
    region = load_settings().default_region
    last = None
    while True:
        where = "" if last is None else " WHERE id > {}"
        args = [] if last is None else [last]
        rows = await engine.run_querystring(
            QueryString(
                "SELECT id, direction, from_number, to_number FROM crm_activity"
                f"{where} ORDER BY id LIMIT {BATCH}",
                *args,
            )
        )
        for row in rows:
            party = party_e164(row["direction"], row["from_number"], row["to_number"], region)
            if party is not None:
                await engine.run_querystring(
                    QueryString(
                        "UPDATE crm_activity SET party_e164 = {} WHERE id = {}", party, row["id"]
                    )
                )
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_activity (contact, party_e164, started_at)"
        )
        await _fill()

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
