"""`crm seed-demo` against the test database: a believable data set, and no duplicates on a
second run.
"""

from __future__ import annotations

import asyncio

import phonenumbers
from click.testing import CliRunner, Result

from crm.cli import main
from crm.engine import bind_tables, make_engine
from crm.tables import Company, Contact, PhoneNumber, User
from tests.conftest import DATABASE_URL


async def run_cli(*args: str) -> Result:
    """Run the command in a thread: it starts its own event loop, as it does in a shell."""
    result = await asyncio.to_thread(CliRunner().invoke, main, list(args))
    # The command bound the tables to its own (now closed) engine; give them a fresh one.
    bind_tables(make_engine(DATABASE_URL))
    return result


async def counts() -> dict[str, int]:
    return {
        "users": await User.count(),
        "companies": await Company.count(),
        "contacts": await Contact.count(),
        "phones": await PhoneNumber.count(),
    }


async def test_seed_demo_creates_users_companies_and_contacts_from_several_countries() -> None:
    result = await run_cli("seed-demo", "--password", "demo password")
    assert result.exit_code == 0, result.output
    assert "users: 4 created, 0 already there" in result.output
    assert "companies: 10 created, 0 already there" in result.output
    assert "contacts: 60 created, 0 already there" in result.output
    assert "alice.morgan@demo.example  extension 101" in result.output
    seeded = await counts()
    assert (seeded["users"], seeded["companies"], seeded["contacts"]) == (4, 10, 60)
    users = await User.select(User.extension).where(User.extension.is_not_null())
    assert len(users) == 4
    mains = await PhoneNumber.count().where(
        PhoneNumber.company.is_not_null() & (PhoneNumber.kind == "main")
    )
    assert mains == 10
    per_contact = await PhoneNumber.select(PhoneNumber.contact).where(
        PhoneNumber.contact.is_not_null()
    )
    numbers_of: dict[object, int] = {}
    for row in per_contact:
        numbers_of[row["contact"]] = numbers_of.get(row["contact"], 0) + 1
    assert len(numbers_of) == 60
    assert set(numbers_of.values()) <= {1, 2, 3, 4}
    assert len(set(numbers_of.values())) > 1
    e164s = [row["e164"] for row in await PhoneNumber.select(PhoneNumber.e164)]
    assert all(e164s)
    regions = {phonenumbers.region_code_for_number(phonenumbers.parse(n)) for n in e164s}
    assert {"US", "GB", "DE", "FR", "AU", "BR", "IN", "JP"} <= regions
    assert len(set(e164s)) == len(e164s)
    with_company = await Contact.count().where(Contact.company.is_not_null())
    assert with_company == 50


async def test_seed_demo_twice_adds_nothing_the_second_time() -> None:
    first = await run_cli("seed-demo")
    assert first.exit_code == 0, first.output
    before = await counts()
    second = await run_cli("seed-demo")
    assert second.exit_code == 0, second.output
    assert "users: 0 created, 4 already there" in second.output
    assert "companies: 0 created, 10 already there" in second.output
    assert "contacts: 0 created, 60 already there" in second.output
    assert await counts() == before


async def test_seed_demo_with_a_too_short_password_fails_with_one_line_naming_it() -> None:
    result = await run_cli("seed-demo", "--password", "short")
    assert result.exit_code != 0
    assert "password: must be at least 8 characters" in result.output
    assert await User.count() == 0
