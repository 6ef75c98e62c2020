"""A believable demo data set: users with extensions, companies with main lines, and contacts
with numbers from several countries, written through the domain services.

Seeding is idempotent: users are known by email, companies by name and contacts by
email, so running it again adds only what is missing.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from itertools import cycle

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from crm.domain.companies import CompanyInput
from crm.domain.contacts import ContactInput
from crm.domain.phone_numbers import PhoneInput, PhoneKind
from crm.domain.services import Services
from crm.domain.users import UserInput
from crm.tables import Contact

DEMO_EMAIL_DOMAIN = "demo.example"
"""Users' email domain; `.example` is reserved, so no real mailbox is ever addressed."""

USERS = [
    # first, last, extension
    ("Alice", "Morgan", "101"),
    ("Bruno", "Schmidt", "102"),
    ("Chloé", "Martin", "103"),
    ("Dev", "Patel", "104"),
]

# name, website, region, address
COMPANIES = [
    ("Northwind Traders", "northwind.example", "US", "350 Fifth Avenue, New York, NY 10118"),
    ("Globex Corporation", "globex.example", "US", "1 Infinite Loop, Springfield, OR 97477"),
    ("Brightwater Analytics", "brightwater.example", "GB", "30 St Mary Axe, London EC3A 8EP"),
    ("Hartmann Maschinenbau GmbH", "hartmann.example", "DE", "Leopoldstraße 8, 80802 München"),
    ("Lumière Conseil", "lumiere.example", "FR", "12 Rue de Rivoli, 75004 Paris"),
    ("Koala Logistics", "koala-logistics.example", "AU", "1 Macquarie St, Sydney NSW 2000"),
    ("Verde Agro", "verdeagro.example", "BR", "Av. Paulista 1578, São Paulo, SP"),
    ("Sundaram Software", "sundaram.example", "IN", "MG Road 42, Bengaluru 560001"),
    ("Sakura Denki", "sakura-denki.example", "JP", "2-7-1 Marunouchi, Chiyoda-ku, Tokyo"),
    ("Maple Leaf Freight", "mapleleaf.example", "CA", "100 King St W, Toronto, ON"),
]

# First and last names per region, so that a contact's name, company and numbers agree.
NAMES: dict[str, tuple[list[str], list[str]]] = {
    "US": (
        ["James", "Maria", "Ethan", "Olivia", "Marcus", "Grace"],
        ["Carter", "Lopez", "Brooks", "Reed", "Hayes", "Nguyen"],
    ),
    "GB": (
        ["Oliver", "Amelia", "Harry", "Isla", "George", "Poppy"],
        ["Hughes", "Clarke", "Wright", "Bennett", "Patel", "Evans"],
    ),
    "DE": (
        ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Mia"],
        ["Becker", "Fischer", "Wagner", "Hoffmann", "Schulz", "Keller"],
    ),
    "FR": (
        ["Louis", "Camille", "Hugo", "Léa", "Arthur", "Manon"],
        ["Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Fontaine"],
    ),
    "AU": (
        ["Jack", "Charlotte", "Noah", "Mia", "Cooper", "Ruby"],
        ["Taylor", "Kelly", "Walsh", "Ryan", "Mitchell", "Harris"],
    ),
    "BR": (
        ["Lucas", "Ana", "Gabriel", "Júlia", "Rafael", "Beatriz"],
        ["Silva", "Souza", "Costa", "Pereira", "Almeida", "Rocha"],
    ),
    "IN": (
        ["Arjun", "Priya", "Rohan", "Ananya", "Vikram", "Kavya"],
        ["Sharma", "Iyer", "Gupta", "Nair", "Reddy", "Menon"],
    ),
    "JP": (
        ["Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina"],
        ["Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Watanabe"],
    ),
    "CA": (
        ["Liam", "Emma", "Logan", "Chloe", "Nathan", "Sophie"],
        ["Tremblay", "Roy", "Gagnon", "Côté", "Bouchard", "Morin"],
    ),
}

JOB_TITLES = [
    "Head of Purchasing",
    "Office Manager",
    "Sales Director",
    "IT Administrator",
    "Chief Financial Officer",
    "Customer Success Lead",
]

CONTACTS_PER_COMPANY = 5
FREELANCE_REGIONS = ["US", "GB", "DE", "FR", "AU", "BR", "IN", "JP", "CA", "US"]
"""One contact with no company per entry."""


class DemoNumbers:
    """Valid, distinct numbers per region, varied from phonenumbers' example numbers."""

    def __init__(self) -> None:
        self._drawn: Counter[tuple[str, int]] = Counter()

    def next(self, region: str, kind: int) -> str:
        example = phonenumbers.example_number_for_type(region, kind)
        assert example is not None, region
        national = phonenumbers.national_significant_number(example)
        while True:
            self._drawn[(region, kind)] += 1
            n = self._drawn[(region, kind)] + (500 if kind == PhoneNumberType.MOBILE else 0)
            candidate = phonenumbers.parse(
                f"+{example.country_code}{national[:-3]}{n * 37 % 1000:03d}"
            )
            if phonenumbers.is_valid_number(candidate):
                return phonenumbers.format_number(candidate, PhoneNumberFormat.INTERNATIONAL)


class DemoNames:
    """Distinct (first, last) names per region, in a fixed order."""

    def __init__(self) -> None:
        self._drawn: Counter[str] = Counter()

    def next(self, region: str) -> tuple[str, str]:
        firsts, lasts = NAMES[region]
        k = self._drawn[region]
        self._drawn[region] += 1
        return firsts[k % len(firsts)], lasts[(k + k // len(lasts)) % len(lasts)]


@dataclass
class SeedReport:
    """What a seeding run created, and how many records it found already there."""

    created: list[str] = field(default_factory=list)
    existing: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        summary = [
            f"{kind}: {self.counts[kind]} created, {self.existing[kind]} already there"
            for kind in ("users", "companies", "contacts")
        ]
        return [*self.created, *summary]


async def seed_demo(services: Services, *, password: str | None = None) -> SeedReport:
    """Write the demo data set, skipping every record that is already there."""
    report = SeedReport()
    numbers = DemoNumbers()
    names = DemoNames()
    owners = await _users(services, report, password or secrets.token_urlsafe(18))
    owner_cycle = cycle(owners)
    contact_index = 0
    for name, website, region, address in COMPANIES:
        company = await services.companies.by_name(name)
        main_line = numbers.next(region, PhoneNumberType.FIXED_LINE)
        if company is None:
            company = await services.companies.create(
                CompanyInput(
                    name=name,
                    website=website,
                    address=address,
                    owner_id=next(owner_cycle),
                    phones=[PhoneInput(main_line, PhoneKind.MAIN)],
                )
            )
            report.counts["companies"] += 1
            report.created.append(f"company  {name}  main line {main_line}")
        else:
            report.existing["companies"] += 1
        for _ in range(CONTACTS_PER_COMPANY):
            contact_index += 1
            await _contact(
                services,
                report,
                numbers,
                name=names.next(region),
                region=region,
                index=contact_index,
                email_domain=website,
                company_id=company.id,
                owner_id=next(owner_cycle),
            )
    for region in FREELANCE_REGIONS:
        contact_index += 1
        await _contact(
            services,
            report,
            numbers,
            name=names.next(region),
            region=region,
            index=contact_index,
            email_domain="mail.example",
            company_id=None,
            owner_id=next(owner_cycle),
        )
    return report


async def _users(services: Services, report: SeedReport, password: str) -> list[str]:
    ids: list[str] = []
    for first, last, extension in USERS:
        email = f"{_ascii(first)}.{_ascii(last)}@{DEMO_EMAIL_DOMAIN}"
        user = await services.users.by_email(email)
        if user is None:
            user = await services.users.create(
                UserInput(
                    email=email,
                    password=password,
                    first_name=first,
                    last_name=last,
                    extension=extension,
                )
            )
            report.counts["users"] += 1
            report.created.append(f"user     {email}  extension {extension}")
        else:
            report.existing["users"] += 1
        ids.append(str(user.id))
    return ids


async def _contact(
    services: Services,
    report: SeedReport,
    numbers: DemoNumbers,
    *,
    name: tuple[str, str],
    region: str,
    index: int,
    email_domain: str,
    company_id: uuid.UUID | None,
    owner_id: str,
) -> None:
    """One contact with 1 to 4 numbers; the index varies which numbers and which title."""
    first, last = name
    email = f"{_ascii(first)}.{_ascii(last)}@{email_domain}"
    phones = _phones(numbers, region, index)
    if await Contact.exists().where(Contact.email == email):
        report.existing["contacts"] += 1
        return
    await services.contacts.create(
        ContactInput(
            first_name=first,
            last_name=last,
            email=email,
            job_title=JOB_TITLES[index % len(JOB_TITLES)],
            company_id=str(company_id) if company_id is not None else None,
            owner_id=owner_id,
            phones=phones,
        )
    )
    report.counts["contacts"] += 1


def _phones(numbers: DemoNumbers, region: str, index: int) -> list[PhoneInput]:
    work = numbers.next(region, PhoneNumberType.FIXED_LINE)
    phones = [PhoneInput(f"{work} x{200 + index}" if index % 3 == 0 else work, PhoneKind.WORK)]
    if index % 4 != 1:
        phones.append(PhoneInput(numbers.next(region, PhoneNumberType.MOBILE), PhoneKind.MOBILE))
    if index % 5 == 2:
        phones.append(PhoneInput(numbers.next(region, PhoneNumberType.FIXED_LINE), PhoneKind.HOME))
    if index % 7 == 3:
        phones.append(PhoneInput(numbers.next(region, PhoneNumberType.FIXED_LINE), PhoneKind.FAX))
    return phones


def _ascii(name: str) -> str:
    """A name as it would appear in an email address."""
    plain = name.lower()
    for accented, letter in (("é", "e"), ("è", "e"), ("ô", "o"), ("ú", "u"), ("ç", "c")):
        plain = plain.replace(accented, letter)
    return plain
