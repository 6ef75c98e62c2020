"""Caller lookup across the formats numbers arrive in, from phonenumbers' own examples.

One contact per country and line type holds that country's example number, written
internationally; each case writes the number another way and must find its contact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from crm.domain.config import DomainConfig
from crm.domain.lookup import LookupService
from crm.domain.phone_normalization import normalize
from crm.tables import Contact, PhoneNumber

REGIONS = [
    "US",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BR",
    "IN",
    "AU",
    "JP",
    "MX",
    "RU",
    "CN",
    "ZA",
    "CH",
    "SE",
    "AR",
    "PL",
    "HU",
]
TYPES = {"work": PhoneNumberType.FIXED_LINE, "mobile": PhoneNumberType.MOBILE}
STORE_REGION = "US"


@dataclass(frozen=True)
class Case:
    """One way of writing a stored number, and what lookup must do with it."""

    phone: str
    region: str
    """The default region the lookup runs with."""
    contact_id: uuid.UUID
    states_country: bool
    """The input (with its region) tells the country: the contact must come first."""

    def __str__(self) -> str:
        return f"{self.phone!r}@{self.region}"


def _contact_id(region: str, kind: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lookup-formats/{region}/{kind}")


def _example(region: str, kind: str) -> phonenumbers.PhoneNumber:
    number = phonenumbers.example_number_for_type(region, TYPES[kind])
    assert number is not None, (region, kind)
    return number


def _kinds(region: str) -> list[str]:
    """Line types with their own example number (in the US one example serves both)."""
    if _example(region, "work") == _example(region, "mobile"):
        return ["work"]
    return list(TYPES)


def _cases() -> list[Case]:
    cases: list[Case] = []
    for region in REGIONS:
        for kind in _kinds(region):
            number = _example(region, kind)
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            rfc = phonenumbers.format_number(number, PhoneNumberFormat.RFC3966)
            cid = _contact_id(region, kind)
            stated = [
                (e164, "US"),
                (intl, "GB"),
                ("00" + intl[1:], "DE"),
                ("011 " + intl[1:], "US"),
                (e164[1:], "US"),  # digits with country code and no `+`, as call events send
                (" " + intl[1:], "US"),  # a `+` that arrived as a space
                (intl.replace(" ", "-"), "FR"),
                (intl + " ext. 12", "US"),
                (e164 + "x12", "US"),
                (e164 + ";ext=12", "US"),
                (rfc, "US"),
                (national, region),  # national format, the CRM set to that region
            ]
            cases += [Case(p, r, cid, states_country=True) for p, r in stated]
            # National format in another region's CRM: the country cannot be told.
            cases.append(Case(national, "US" if region != "US" else "GB", cid, False))
    return cases


CASES = _cases()


async def _store_examples() -> None:
    contacts, phones = [], []
    for region in REGIONS:
        for kind in _kinds(region):
            cid = _contact_id(region, kind)
            contacts.append(Contact(id=cid, first_name=region, last_name=kind))
            raw = phonenumbers.format_number(
                _example(region, kind), PhoneNumberFormat.INTERNATIONAL
            )
            keys = normalize(raw, STORE_REGION)
            phones.append(
                PhoneNumber(
                    contact=cid,
                    kind=kind,
                    number=raw,
                    e164=keys.e164,
                    national=keys.national,
                    suffix=keys.suffix,
                )
            )
    await Contact.insert(*contacts)
    await PhoneNumber.insert(*phones)


def test_the_table_covers_sixty_formats_from_twelve_countries() -> None:
    assert len({case.phone for case in CASES}) >= 60
    assert len(REGIONS) >= 12


def _misses(case: Case, found: list[uuid.UUID], first_tier: str | None) -> str | None:
    if case.contact_id not in found:
        return f"{case}: not found"
    if case.states_country and (found[0] != case.contact_id or first_tier != "e164"):
        return f"{case}: found, but not first as an exact match"
    return None


@pytest.mark.parametrize("region", REGIONS)
async def test_lookup_finds_the_contact_of_each_format(region: str) -> None:
    await _store_examples()
    misses = []
    owners = {_contact_id(region, kind) for kind in TYPES}
    for case in (c for c in CASES if c.contact_id in owners):
        service = LookupService(DomainConfig(default_region=case.region))
        matches = await service.find(case.phone)
        found = [m.contact.id for m in matches if m.contact is not None]
        miss = _misses(case, found, matches[0].match if matches else None)
        if miss:
            misses.append(miss)
    assert not misses, "\n".join(misses)
