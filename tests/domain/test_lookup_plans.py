"""A lookup's one query is all index seeks, with enough rows that a scan would be tempting."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.querystring import QueryString
from piccolo.table import Table

from crm.domain.config import DomainConfig
from crm.domain.lookup import LookupService
from crm.domain.phone_normalization import normalize
from crm.engine import current_engine
from crm.queries.lookup import LINE_STAFF, match_statement
from crm.tables import Activity, Company, Contact, PhoneNumber
from tests.conftest import IS_POSTGRES

CONTACTS = 3000
COMPANIES = 2000
CALLS = 3000
CHUNK = 500

INPUTS = [
    "+1 415 555 0100",  # E.164, and national digits of numbers with no country
    "(415) 555-0100",  # national: E.164 in the default region, national digits anywhere
    "8 (912) 345-67-89",  # no country can be told: national digits and trailing digits
    "3612345678",  # two readings, national digits and trailing digits
]


def _phone(owner: dict[str, Any], raw: str, kind: str) -> PhoneNumber:
    keys = normalize(raw, "US")
    return PhoneNumber(
        kind=kind,
        number=raw,
        e164=keys.e164,
        national=keys.national,
        suffix=keys.suffix,
        **owner,
    )


async def _insert(table: type[Table], rows: list[Any]) -> None:
    for start in range(0, len(rows), CHUNK):
        await table.insert(*rows[start : start + CHUNK])


async def _fill() -> None:
    rng = random.Random(5)
    companies = [Company(id=uuid.uuid4(), name=f"Company {i}") for i in range(COMPANIES)]
    contacts = [
        Contact(id=uuid.uuid4(), first_name=f"C{i}", company=rng.choice(companies).id)
        for i in range(CONTACTS)
    ]
    phones = [
        _phone({"company": c.id}, f"+1 212 {rng.randrange(10**7):07d}", "main") for c in companies
    ]
    for contact in contacts:
        for kind in rng.sample(["work", "mobile", "home"], rng.randint(1, 2)):
            raw = f"+{rng.choice(['1 646', '44 20', '49 30', '33 1'])} {rng.randrange(10**8):08d}"
            phones.append(_phone({"contact": contact.id}, raw, kind))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    calls = [
        Activity(
            call_id=f"call-{i}",
            direction="inbound",
            status="completed",
            contact=rng.choice(contacts).id,
            company=rng.choice(companies).id,
            started_at=start + timedelta(minutes=i),
        )
        for i in range(CALLS)
    ]
    await _insert(Company, companies)
    await _insert(Contact, contacts)
    await _insert(PhoneNumber, phones)
    await _insert(Activity, calls)
    await current_engine().run_ddl("ANALYZE")


async def _plan(querystring: QueryString) -> list[str]:
    """The plan lines of a query, as the database would run it with these values."""
    explain = "EXPLAIN {}" if IS_POSTGRES else "EXPLAIN QUERY PLAN {}"
    rows = await current_engine().run_querystring(QueryString(explain, querystring))
    if IS_POSTGRES:
        return [row["QUERY PLAN"] for row in rows]
    return [row["detail"] for row in rows]


def _scans(plan: list[str]) -> list[str]:
    """Plan lines that read a whole table (or a whole index) instead of seeking."""
    if IS_POSTGRES:
        return [line for line in plan if "Seq Scan" in line]
    return [line for line in plan if line.startswith("SCAN ")]


async def test_every_lookup_query_seeks_an_index() -> None:
    await _fill()
    service = LookupService(DomainConfig())
    plans: dict[str, list[str]] = {}
    for phone in INPUTS:
        key = service.key(phone)
        assert key is not None
        sql, args = match_statement(key)
        plan = await _plan(QueryString(sql, *args))
        # The latest call comes from the end of an index, not from all of an owner's calls.
        for index in ("crm_activity_contact_started_at", "crm_activity_company_started_at"):
            assert any(index in line for line in plan), (phone, plan)
        plans[f"match {phone!r}"] = plan

    company = await Company.select(Company.id).first()
    assert company is not None
    plans["staff of a main line"] = await _plan(
        QueryString(LINE_STAFF, "+12125550100", company["id"], 25)
    )

    for name, plan in plans.items():
        assert plan, name
        assert not _scans(plan), f"{name}:\n" + "\n".join(plan)
        if not IS_POSTGRES:
            assert any("USING" in line and "INDEX" in line for line in plan), (name, plan)


async def test_lookup_over_many_rows_still_finds_the_caller() -> None:
    await _fill()
    ann = Contact(first_name="Ann")
    await ann.save()
    await _phone({"contact": ann.id}, "+1 415 555 0100", "mobile").save()
    matches = await LookupService(DomainConfig()).find("14155550100")
    assert [m.contact.id for m in matches if m.contact] == [ann.id]
