"""Believable CRM data for the lookup benchmark, bulk-loaded into PostgreSQL with COPY.

Contacts have 1 to 4 numbers each from fourteen countries; three in five belong to
a company (one company per twenty contacts), every company has a main line, and
some of its staff carry that line as their work number. Half the contacts have a
call, so lookup's "most recent caller" ranking has something to read.

Usage: python -m bench.generate --contacts 1000000 --database-url postgresql://...
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import phonenumbers

from crm.domain.phone_normalization import normalize

CHUNK = 50_000
"""Contacts generated and copied at a time, so memory stays flat at any size."""

# Country, weight: where the callers of a mostly North American and European business live.
COUNTRIES = [
    ("US", 40), ("CA", 5), ("GB", 10), ("DE", 8), ("FR", 6), ("ES", 5), ("IT", 4),
    ("NL", 3), ("BR", 4), ("MX", 4), ("AU", 3), ("IN", 4), ("PL", 2), ("SE", 2),
]  # fmt: skip
NANP_AREA_CODES = ["201", "212", "305", "310", "312", "415", "512", "617", "646", "702", "818"]
FIRST_NAMES = [
    "Ann",
    "Bob",
    "Carla",
    "Dev",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Liam",
    "Mona",
    "Nils",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Chen",
    "Dara",
    "Elif",
    "Farid",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Patel",
    "Kim",
    "Novak",
    "Larsen",
    "Costa",
    "Weber",
    "Moreau",
    "Santos",
    "Tanaka",
    "Haddad",
    "Okafor",
    "Ivanova",
    "Lopez",
    "Schmidt",
    "Khan",
]
TITLES = ["Buyer", "CEO", "CFO", "Engineer", "Office manager", "Sales lead", None, None]
# Kinds and counts of a contact's numbers, repeated by weight for a fast `choice`.
CONTACT_KINDS = ["mobile"] * 8 + ["work"] * 7 + ["home"] * 2 + ["other", "fax"]
NUMBERS_PER_CONTACT = [1] * 7 + [2] * 7 + [3] * 4 + [4] * 2
START = datetime(2025, 1, 1, tzinfo=UTC)
OWN_NUMBER = "+1 415 555 0000"
"""The organisation's side of every generated call."""


@dataclass(frozen=True)
class Template:
    """A country's example number, kept but for its last digits."""

    country_code: int
    region: str
    nsn: str


def _templates() -> list[tuple[list[Template], int]]:
    out = []
    for region, weight in COUNTRIES:
        templates = []
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            assert example is not None, region
            assert example.country_code is not None, region
            nsn = phonenumbers.national_significant_number(example)
            templates.append(Template(example.country_code, region, nsn))
        out.append((templates, weight))
    return out


class Numbers:
    """Random, valid numbers with the keys the CRM derives from them."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        # Each template repeated by its country's weight: a plain `choice` is the fast draw.
        self._pool = [t for templates, weight in _templates() for t in templates * weight]

    def one(self) -> tuple[str, str, str, str]:
        """(as entered, e164, national, suffix)."""
        rng = self._rng
        template = rng.choice(self._pool)
        if template.country_code == 1:
            nsn = f"{rng.choice(NANP_AREA_CODES)}{rng.randrange(2_000_000, 10_000_000)}"
        else:
            vary = min(6, len(template.nsn) - 3)
            nsn = f"{template.nsn[:-vary]}{rng.randrange(10**vary):0{vary}d}"
        cc = str(template.country_code)
        raw = f"+{cc} {nsn[:3]} {nsn[3:]}"
        return raw, "+" + cc + nsn, nsn, nsn[-7:]


def check_keys(numbers: Numbers, samples: int = 2000) -> None:
    """The generator's keys are the CRM's own: stop if `normalize` disagrees."""
    for _ in range(samples):
        raw, e164, national, suffix = numbers.one()
        keys = normalize(raw, "US")
        if (keys.e164, keys.national, keys.suffix) != (e164, national, suffix):
            raise SystemExit(f"generated keys disagree with normalize for {raw!r}: {keys}")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(bytes=rng.randbytes(16))


@dataclass
class Batch:
    companies: list[tuple[object, ...]]
    contacts: list[tuple[object, ...]]
    phones: list[tuple[object, ...]]
    calls: list[tuple[object, ...]]


def batches(total: int, seed: int) -> Iterator[Batch]:
    """The data set in chunks of `CHUNK` contacts, each with its companies and calls."""
    rng = random.Random(seed)
    numbers = Numbers(rng)
    check_keys(numbers)
    call_no = 0
    for start in range(0, total, CHUNK):
        size = min(CHUNK, total - start)
        batch = Batch([], [], [], [])
        companies = []
        for i in range(max(1, size // 20)):
            cid = _uuid(rng)
            when = START + timedelta(minutes=rng.randrange(500_000))
            batch.companies.append((cid, f"{rng.choice(LAST_NAMES)} {start + i} Ltd", when, when))
            line = numbers.one()
            batch.phones.append((_uuid(rng), None, cid, "main", *line, 0, when))
            companies.append((cid, line))
        for i in range(size):
            contact_id = _uuid(rng)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company = rng.choice(companies) if rng.random() < 0.6 else None
            when = START + timedelta(minutes=rng.randrange(500_000))
            email = f"{first}.{last}.{start + i}@example.com".lower()
            batch.contacts.append(
                (
                    contact_id,
                    first,
                    last,
                    email,
                    rng.choice(TITLES),
                    company[0] if company else None,
                    when,
                    when,
                )
            )
            count = rng.choice(NUMBERS_PER_CONTACT)
            lines = []
            for position in range(count):
                if position == 0 and company is not None and rng.random() < 0.3:
                    line, kind = company[1], "work"  # staff reachable on the main line
                else:
                    line, kind = numbers.one(), rng.choice(CONTACT_KINDS)
                batch.phones.append((_uuid(rng), contact_id, None, kind, *line, position, when))
                lines.append(line)
            if rng.random() < 0.5:
                call_no += 1
                started = START + timedelta(minutes=rng.randrange(500_000))
                direction = rng.choice(["inbound", "outbound"])
                party = rng.choice(lines)  # one of the contact's numbers, a main line or not
                ours = OWN_NUMBER
                batch.calls.append(
                    (
                        _uuid(rng),
                        f"bench-{call_no}",
                        direction,
                        "completed",
                        party[0] if direction == "inbound" else ours,
                        ours if direction == "inbound" else party[0],
                        party[1],
                        contact_id,
                        company[0] if company else None,
                        started,
                        started,
                        started,
                    )
                )
        yield batch


COLUMNS = {
    "crm_company": ("id", "name", "created_at", "updated_at"),
    "crm_contact": (
        "id", "first_name", "last_name", "email", "job_title", "company", "created_at",
        "updated_at",
    ),
    "crm_phone_number": (
        "id", "contact", "company", "kind", "number", "e164", "national", "suffix", "position",
        "created_at",
    ),
    "crm_activity": (
        "id", "call_id", "direction", "status", "from_number", "to_number", "party_e164",
        "contact", "company", "started_at", "created_at", "updated_at",
    ),
}  # fmt: skip


def _admin_url(database_url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database, and the name of the target database."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


async def recreate_database(database_url: str) -> None:
    admin_url, name = _admin_url(database_url)
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def migrate(database_url: str) -> None:
    """Create the schema with the CRM's own migrations, as `crm migrate` does."""
    env = {**os.environ, "CRM_DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "-m", "crm.cli", "migrate"], check=True, env=env, capture_output=True
    )


async def load(database_url: str, contacts: int, seed: int) -> None:
    """Copy the data in with the tables' secondary indexes dropped, then rebuild them."""
    conn = await asyncpg.connect(database_url)
    try:
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename = ANY($1::text[]) AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint)",
            list(COLUMNS),
        )
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        loaded = dict.fromkeys(COLUMNS, 0)
        for batch in batches(contacts, seed):
            for table, rows in (
                ("crm_company", batch.companies),
                ("crm_contact", batch.contacts),
                ("crm_phone_number", batch.phones),
                ("crm_activity", batch.calls),
            ):
                await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                loaded[table] += len(rows)
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute("VACUUM ANALYZE")
        print("  loaded " + ", ".join(f"{n:,} {t}" for t, n in loaded.items()))
    finally:
        await conn.close()


async def generate(database_url: str, contacts: int, seed: int = 5) -> None:
    began = time.perf_counter()
    await recreate_database(database_url)
    migrate(database_url)
    await load(database_url, contacts, seed)
    print(f"  {contacts:,} contacts ready in {time.perf_counter() - began:.0f} s")


async def _count_contacts(database_url: str) -> int | None:
    try:
        conn = await asyncpg.connect(database_url)
    except (asyncpg.InvalidCatalogNameError, OSError):
        return None
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM crm_contact")
        return count
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


def dataset_url(server: str, prefix: str, contacts: int) -> str:
    """Where the data set of `contacts` contacts lives on `server`: `<prefix>_<contacts>`."""
    return f"{server}/{prefix}_{contacts}"


async def ensure(database_url: str, contacts: int) -> None:
    """The data set of `contacts` contacts at `database_url`: reused when it holds that many,
    else generated; migrated either way, so a data set made before the latest migrations
    gets them."""
    if await _count_contacts(database_url) != contacts:
        print(f"generating {contacts:,} contacts into {database_url.rsplit('/', 1)[-1]}")
        await generate(database_url, contacts)
    migrate(database_url)


AGENT_EXTENSIONS = [str(701 + i) for i in range(20)]
"""Extensions of the agents `add_agents` adds: calls are logged to them."""


async def add_agents(database_url: str) -> None:
    """Active users (who cannot log in) with `AGENT_EXTENSIONS`, once per data set; every
    contact without an owner gets one of them, so that a contact's owner is real data."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.executemany(
            "INSERT INTO crm_user (id, email, first_name, last_name, extension, is_active,"
            " is_admin, password_hash) VALUES ($1, $2, 'Agent', $3, $3, true, false, '!')"
            " ON CONFLICT (email) DO NOTHING",
            [(uuid.uuid4(), f"agent{ext}@bench.test", ext) for ext in AGENT_EXTENSIONS],
        )
        if await conn.fetchval("SELECT NOT EXISTS (SELECT 1 FROM crm_contact WHERE owner IS NULL)"):
            return
        await conn.execute(
            "UPDATE crm_contact c SET owner = a.id FROM (SELECT id, row_number() OVER"
            " (ORDER BY extension) - 1 AS n FROM crm_user WHERE email LIKE 'agent%@bench.test')"
            " a WHERE c.owner IS NULL AND a.n = abs(hashtext(c.id::text)) % $1",
            len(AGENT_EXTENSIONS),
        )
        await conn.execute("VACUUM ANALYZE crm_contact")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(generate(args.database_url, args.contacts, args.seed))


if __name__ == "__main__":
    main()
