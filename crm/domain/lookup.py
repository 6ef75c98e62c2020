"""Caller identification: who is on the line, for a number in any format.

Every stored number of every contact and company takes part. Matching goes in
tiers, each an index seek on a key `crm.domain.phone_normalization.normalize` derives the same
way for writes and lookups: the exact E.164 form; the national significant
number (for input without a country code, and for stored numbers whose country
was never known); the trailing digits, as a last resort when one side's country
cannot be told. All matches come back ranked, best first, each saying why.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from crm.domain.config import DomainConfig
from crm.domain.phone_normalization import (
    SUFFIX_DIGITS,
    NormalizedPhone,
    is_internal_extension,
    normalize,
    readings,
)
from crm.queries import lookup as queries
from crm.queries.lookup import MAX_ROWS
from crm.queries.rows import row_from
from crm.tables import Company, Contact, PhoneNumber

EntityKind = Literal["contact", "company"]
MatchTier = Literal["e164", "national", "suffix"]
RowT = TypeVar("RowT", Contact, Company, PhoneNumber)


_TIER_RANK: dict[MatchTier, int] = {"e164": 0, "national": 1, "suffix": 2}
_PREFERRED_KINDS = frozenset({"mobile", "work"})
_MAIN_KIND = "main"


@dataclass(frozen=True, slots=True)
class PhoneMatch:
    """One entity the number belongs to, and why it matched.

    For a contact, `company` is the contact's company (when it has one); for a
    main-line match it is the company whose line the number is.
    """

    entity: EntityKind
    contact: Contact | None
    company: Company | None
    match: MatchTier
    number: str
    """The stored number that matched, as it was entered."""
    kind: str
    main_line: bool
    """The number is a company's main line (shared by the company and its contacts)."""
    shared: bool = False
    """For a company: some of its contacts share the number (they follow as matches)."""
    e164: str | None = None
    """The matched number in E.164, when its country is known."""


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The ranked matches, and the numbers of the matched contacts in their order.

    `phones` holds every matched contact, or none when the lookup read too many rows.
    """

    matches: list[PhoneMatch]
    phones: dict[uuid.UUID, list[PhoneNumber]]


@dataclass(frozen=True, slots=True)
class LookupKey:
    """The keys one lookup seeks, derived from the readings of the caller's number."""

    e164: tuple[str, ...]
    """E.164 forms of the valid readings, best first."""
    national: tuple[str, ...]
    """National digits of readings that state no country: they match in any country."""
    national_unplaced: tuple[str, ...]
    """National digits of readings that state a country: they match only stored
    numbers whose country was never known."""
    suffix: str | None
    """The last `suffix_digits` digits, or `None` when the input has fewer."""
    extension: str | None


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A stored number that matched, with what ranking needs to know of its owner."""

    phone_id: uuid.UUID
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    kind: str
    number: str
    e164: str | None
    national: str | None
    extension: str | None
    tier: MatchTier
    reading: int
    """Which reading of the input matched (0 is the most likely)."""
    last_call: float
    """Epoch seconds of the owner's most recent call, `-inf` when none."""
    line_call: float
    """Epoch seconds of a contact's most recent call on this very number, `-inf` when none."""


WITHHELD_CALLER_IDS = frozenset(
    {"anonymous", "private", "restricted", "unknown", "unavailable", "withheld", "blocked"}
)
"""What phone systems put in place of a number the caller withheld."""


class LookupService:
    """Find the contacts and companies a phone number belongs to, best first."""

    def __init__(self, config: DomainConfig) -> None:
        self._config = config
        self._suffix_digits = max(SUFFIX_DIGITS, config.lookup_suffix_digits)
        own = [normalize(n, config.default_region, field="own_numbers") for n in config.own_numbers]
        self._own_e164 = frozenset(n.e164 for n in own if n.e164)
        self._own_national = frozenset(n.national for n in own)

    def key(self, phone: str) -> LookupKey | None:
        """The keys to seek for `phone`; `None` when it is one that never matches.

        Raises `ValidationFailed` (field `phone`) when the input is not a number. A caller
        ID that says the number is withheld (`anonymous`, `private`, ...) never matches.
        """
        if phone.strip().lower() in WITHHELD_CALLER_IDS:
            return None
        found = readings(phone, self._config.default_region, field="phone")
        if self._is_internal_extension(found[0]) or self._is_own_number(found):
            return None
        national = found[0].national
        suffix = national[-self._suffix_digits :] if len(national) >= self._suffix_digits else None
        return LookupKey(
            e164=tuple(r.e164 for r in found if r.e164),
            national=tuple(r.national for r in found if not r.has_country_code),
            national_unplaced=tuple(r.national for r in found if r.has_country_code),
            suffix=suffix,
            extension=found[0].extension,
        )

    async def find(self, phone: str) -> list[PhoneMatch]:
        """Every contact and company `phone` belongs to, ranked best first; [] when none."""
        return (await self.find_with_phones(phone)).matches

    async def find_with_phones(self, phone: str) -> LookupResult:
        """`find`, with the numbers of every matched contact read in the same round trip."""
        key = self.key(phone)
        if key is None:
            return LookupResult([], {})
        rows = await queries.matches(key)
        complete = len(rows) < MAX_ROWS
        seen: set[object] = set()
        kept: list[tuple[Mapping[str, Any], _Candidate]] = []
        numbers: dict[uuid.UUID, dict[uuid.UUID, PhoneNumber]] = {}
        for row in rows:
            owner = _as_uuid(row["phone__contact"]) if complete else None
            if owner is not None and (number := _rebuild(PhoneNumber, row, "phone")) is not None:
                numbers.setdefault(owner, {})[number.id] = number
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            if (c := _classify(row, key)) is not None:
                kept.append((row, c))
        if not kept:
            return LookupResult([], {})
        contacts: dict[uuid.UUID, Contact] = {}
        companies: dict[uuid.UUID, Company] = {}
        for row, c in kept:
            # Several matched numbers may share an owner: build each row once.
            if (
                c.contact_id not in contacts
                and (contact := _rebuild(Contact, row, "contact")) is not None
            ):
                contacts[contact.id] = contact
            company_id = _as_uuid(row["company__id"])
            if (
                company_id not in companies
                and (company := _rebuild(Company, row, "company")) is not None
            ):
                companies[company.id] = company
        matches = _rank(_best_per_phone(c for _, c in kept), contacts, companies, key)
        phones = {
            contact_id: sorted(numbers.get(contact_id, {}).values(), key=_position)
            for contact_id in contacts
        }
        return LookupResult(matches, phones if complete else {})

    async def line_staff(
        self, company_id: uuid.UUID, line_e164: str | None, limit: int
    ) -> list[Contact]:
        """Who a call from a company's main line that none of its contacts shares may be:
        its contacts, the one who called from that line most recently first, then the
        one with the most recent call, then the most recently changed; at most `limit`."""
        if limit <= 0:
            return []
        rows = await queries.line_staff(company_id, line_e164, limit)
        return [contact for row in rows if (contact := _rebuild(Contact, row, "c")) is not None]

    def _is_internal_extension(self, number: NormalizedPhone) -> bool:
        return not number.has_country_code and is_internal_extension(
            number.e164, number.national, self._config.internal_extension_max_digits
        )

    def _is_own_number(self, found: list[NormalizedPhone]) -> bool:
        if any(r.e164 in self._own_e164 for r in found if r.e164):
            return True
        return found[0].e164 is None and found[0].national in self._own_national


def _classify(row: Mapping[str, Any], key: LookupKey) -> _Candidate | None:
    """Which tier a stored number matched in, or `None` when the match does not count."""
    e164: str | None = row["e164"]
    national: str | None = row["national"]
    tier: MatchTier
    reading = 0
    if e164 is not None and e164 in key.e164:
        tier = "e164"
        reading = key.e164.index(e164)
    elif national in key.national or (e164 is None and national in key.national_unplaced):
        tier = "national"
    elif (
        key.suffix is not None
        and national is not None
        and national.endswith(key.suffix)
        # Trailing digits only for numbers whose country cannot be told, on either side.
        and (not key.e164 or e164 is None)
    ):
        tier = "suffix"
    else:
        return None
    contact_id = _as_uuid(row["contact"])
    last_call = row["contact_last_call"] if contact_id else row["company_last_call"]
    return _Candidate(
        phone_id=_as_uuid(row["id"]) or uuid.UUID(int=0),
        contact_id=contact_id,
        company_id=_as_uuid(row["company"]),
        kind=row["kind"],
        number=row["number"],
        e164=e164,
        national=national,
        extension=row["extension"],
        tier=tier,
        reading=reading,
        last_call=_epoch(last_call),
        line_call=_epoch(row["contact_line_call"]),
    )


def _rank_of(candidate: _Candidate) -> tuple[int, int]:
    return _TIER_RANK[candidate.tier], candidate.reading


def _best_per_phone(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    best: dict[uuid.UUID, _Candidate] = {}
    for candidate in candidates:
        seen = best.get(candidate.phone_id)
        if seen is None or _rank_of(candidate) < _rank_of(seen):
            best[candidate.phone_id] = candidate
    return list(best.values())


def _rank(
    candidates: list[_Candidate],
    contacts: dict[uuid.UUID, Contact],
    companies: dict[uuid.UUID, Company],
    key: LookupKey,
) -> list[PhoneMatch]:
    """Order the matches, one per entity, grouping a main line's contacts under its company."""

    def extension_miss(c: _Candidate) -> int:
        return 0 if key.extension and c.extension == key.extension else 1

    def updated(row: Contact | Company | None) -> float:
        return -_epoch(row.updated_at if row is not None else None)

    def order(c: _Candidate) -> tuple[Any, ...]:
        row = contacts.get(c.contact_id) if c.contact_id else companies.get(c.company_id or _NIL)
        return (
            _TIER_RANK[c.tier],
            c.reading,
            extension_miss(c),
            0 if c.contact_id else 1,  # a contact's own number before a company's
            0 if c.kind in _PREFERRED_KINDS else 1,
            -c.last_call,
            updated(row),
            str(c.contact_id or c.company_id),
        )

    # A number held by a company and by contacts of that company is the company's main line.
    company_numbers: dict[uuid.UUID, list[_Candidate]] = {}
    for c in candidates:
        if c.contact_id is None and c.company_id is not None:
            company_numbers.setdefault(c.company_id, []).append(c)
    main_members: dict[uuid.UUID, list[_Candidate]] = {}
    standalone: list[_Candidate] = []
    for c in candidates:
        if c.contact_id is None:
            continue
        contact = contacts.get(c.contact_id)
        if contact is None:
            continue
        lines = company_numbers.get(contact.company, []) if contact.company else []
        line = next((n for n in lines if _same_number(n, c)), None)
        if line is not None and extension_miss(c):
            main_members.setdefault(line.phone_id, []).append(c)
        else:
            standalone.append(c)
    units = standalone + [c for c in candidates if c.contact_id is None]

    matches: list[PhoneMatch] = []
    seen: set[uuid.UUID] = set()
    for c in sorted(units, key=order):
        if c.contact_id is not None:
            contact = contacts[c.contact_id]
            if contact.id in seen:
                continue
            seen.add(contact.id)
            company = companies.get(contact.company) if contact.company else None
            matches.append(_match(c, contact, company, main_line=False))
            continue
        company = companies.get(c.company_id or _NIL)
        if company is None or company.id in seen:
            continue
        seen.add(company.id)
        members = main_members.get(c.phone_id, [])
        main_line = bool(members) or c.kind == _MAIN_KIND
        matches.append(_match(c, None, company, main_line=main_line, shared=bool(members)))
        # The one who called from the line most recently is most likely on it now.
        for member in sorted(members, key=lambda m: (-m.line_call, -m.last_call, order(m)[6:])):
            contact = contacts[member.contact_id or _NIL]
            if contact.id in seen:
                continue
            seen.add(contact.id)
            matches.append(_match(member, contact, company, main_line=True))
    return matches


def _same_number(a: _Candidate, b: _Candidate) -> bool:
    """Whether two stored numbers are one line: the same E.164 form, or the same national
    digits where one of them was stored without its country."""
    if a.e164 is not None and b.e164 is not None:
        return a.e164 == b.e164
    return a.national is not None and a.national == b.national


def _match(
    c: _Candidate,
    contact: Contact | None,
    company: Company | None,
    *,
    main_line: bool,
    shared: bool = False,
) -> PhoneMatch:
    """The match of a contact, or (without one) of a company, for candidate `c`."""
    return PhoneMatch(
        entity="contact" if contact is not None else "company",
        contact=contact,
        company=company,
        match=c.tier,
        number=c.number,
        kind=c.kind,
        main_line=main_line,
        shared=shared,
        e164=c.e164,
    )


_NIL = uuid.UUID(int=0)


def _rebuild(table: type[RowT], row: Mapping[str, Any], alias: str) -> RowT | None:
    """The `table` row joined in under `alias`, or `None` when the join found none."""
    if row[f"{alias}__id"] is None:
        return None
    rebuilt = row_from(table, row, prefix=f"{alias}__")
    rebuilt.id = _as_uuid(rebuilt.id)
    return rebuilt


def _position(number: PhoneNumber) -> int:
    return int(number.position)


def _as_uuid(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _epoch(value: object) -> float:
    """Seconds since the epoch of a timestamp (SQLite hands aggregates back as text)."""
    if value is None:
        return -math.inf
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return -math.inf
