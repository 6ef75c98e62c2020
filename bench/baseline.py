"""The bare reference: a minimal Litestar endpoint running lookup's SQL on plain asyncpg.

It reads the caller's number with the CRM's own `LookupService.key` and runs the
same statements the CRM runs (the match statement, then the matched contacts and
companies by primary key, then the contacts' numbers), with no ORM, no GraphQL and
no ranking beyond the match tier: the floor the CRM's FindContact is measured against.
It also serves the call-logging hooks of `bench/baseline_calls.py`.

Serve with: uvicorn bench.baseline:create_app --factory (CRM_DATABASE_URL names the database).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, get
from litestar.datastructures import State

from bench.baseline_calls import call_handlers
from crm.domain.config import DomainConfig
from crm.domain.lookup import LookupService
from crm.queries.lookup import match_statement

_PLACEHOLDER = re.compile(r"\{\}")


def numbered(sql: str) -> str:
    """Piccolo's `{}` placeholders as asyncpg's `$1, $2, ...`."""
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


CONTACTS = (
    "SELECT id, first_name, last_name, email, job_title, company FROM crm_contact"
    " WHERE id = ANY($1::uuid[])"
)
COMPANIES = "SELECT id, name FROM crm_company WHERE id = ANY($1::uuid[])"
PHONES = (
    "SELECT contact, kind, number FROM crm_phone_number WHERE contact = ANY($1::uuid[])"
    " ORDER BY position"
)


def create_app() -> Litestar:
    region = os.environ.get("CRM_DEFAULT_REGION", "US")
    service = LookupService(DomainConfig(default_region=region))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(os.environ["CRM_DATABASE_URL"], min_size=2, max_size=20)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    @get("/lookup")
    async def lookup(phone: str, state: State) -> dict[str, Any]:
        key = service.key(phone)
        if key is None:
            return {"records": []}
        sql, args = match_statement(key)
        pool: asyncpg.Pool = state.pool
        async with pool.acquire() as conn:
            rows = await conn.fetch(numbered(sql), *args)
            contact_ids = list({r["contact"] for r in rows if r["contact"]})
            if not contact_ids:
                return {"records": []}
            contacts = {r["id"]: r for r in await conn.fetch(CONTACTS, contact_ids)}
            company_ids = list({c["company"] for c in contacts.values() if c["company"]})
            companies = {r["id"]: r for r in await conn.fetch(COMPANIES, company_ids)}
            phones: dict[Any, list[Any]] = {}
            for r in await conn.fetch(PHONES, contact_ids):
                phones.setdefault(r["contact"], []).append(r)
        records = []
        seen = set()
        for row in sorted(rows, key=lambda r: 0 if r["e164"] in key.e164 else 1):
            contact = contacts.get(row["contact"])
            if contact is None or contact["id"] in seen:
                continue
            seen.add(contact["id"])
            numbers = phones.get(contact["id"], [])
            company = companies.get(contact["company"])
            records.append(
                {
                    "id": str(contact["id"]),
                    "firstname": contact["first_name"],
                    "lastname": contact["last_name"],
                    "email": contact["email"],
                    "phone": next((n["number"] for n in numbers if n["kind"] != "mobile"), None),
                    "mobile": next((n["number"] for n in numbers if n["kind"] == "mobile"), None),
                    "company": {"name": company["name"] if company else None},
                    "job_title": contact["job_title"],
                }
            )
        return {"records": records}

    return Litestar(
        route_handlers=[lookup, *call_handlers(service, region, numbered)],
        lifespan=[lifespan],
        debug=False,
    )
