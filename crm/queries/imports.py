"""The statements of a bulk import: what one batch looks up, and its rows written in bulk.

Rows go in with the driver's bulk path inside the batch's transaction: PostgreSQL's
`COPY` (asyncpg's `copy_records_to_table`), SQLite's `executemany`, rather than one
Piccolo row object and statement per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from crm.engine import current_engine
from crm.tables import Company, Contact, PhoneNumber, User

CONTACT_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "job_title",
    "company",
    "owner",
    "notes",
    "created_at",
    "updated_at",
    "search_text",
)
COMPANY_COLUMNS = (
    "id",
    "name",
    "website",
    "address",
    "owner",
    "created_at",
    "updated_at",
    "search_text",
)
PHONE_COLUMNS = (
    "id",
    "contact",
    "company",
    "kind",
    "number",
    "e164",
    "national",
    "suffix",
    "extension",
    "position",
    "created_at",
)


async def insert_rows(
    table: type[Table], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert `rows` (values in the order of `columns`) in the current write transaction."""
    if not rows:
        return
    engine = current_engine()
    transaction = engine.current_transaction.get()
    assert transaction is not None, "insert_rows runs inside transaction()"
    name = table._meta.tablename
    if isinstance(engine, PostgresEngine):
        await transaction.connection.copy_records_to_table(
            name, records=rows, columns=list(columns)
        )
        return
    marks = ", ".join("?" for _ in columns)
    await transaction.connection.executemany(
        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608 (our names)
        rows,
    )


MAX_VALUES = 10_000
"""Values one `IN (...)` list holds: both drivers take at most 32,767 parameters a
statement, and a batch of rows with twenty numbers each has more; longer lists are split."""


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    unique = list(set(values))
    for start in range(0, len(unique), MAX_VALUES):
        yield unique[start : start + MAX_VALUES]


async def users_by_email(emails: Iterable[str]) -> dict[str, uuid.UUID]:
    """The ids of the users with these (stored-form) emails, by email."""
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(emails):
        rows = await User.select(User.id, User.email).where(User.email.is_in(chunk))
        found.update((row["email"], row["id"]) for row in rows)
    return found


async def companies_by_folded_name(names: Iterable[str]) -> dict[str, uuid.UUID]:
    """The oldest company of each folded name (`Company.search_text`), by name."""
    oldest: dict[str, tuple[datetime, uuid.UUID]] = {}
    for chunk in _chunks(names):
        rows = await Company.select(Company.id, Company.search_text, Company.created_at).where(
            Company.search_text.is_in(chunk)
        )
        for row in rows:
            key = (row["created_at"], row["id"])
            name = row["search_text"]
            if name not in oldest or key < oldest[name]:
                oldest[name] = key
    return {name: key[1] for name, key in oldest.items()}


async def contact_numbers_matching(
    e164s: Iterable[str], nationals: Iterable[str]
) -> list[dict[str, Any]]:
    """Contacts' numbers whose E.164 form is one of `e164s` or whose national digits are one
    of `nationals`: `contact`, `created` (the contact's creation), `e164`, `national`.
    A number that meets both conditions may come twice."""
    found: list[dict[str, Any]] = []
    for column, values in ((PhoneNumber.e164, e164s), (PhoneNumber.national, nationals)):
        for chunk in _chunks(values):
            found += await PhoneNumber.select(
                PhoneNumber.contact,
                PhoneNumber.contact.created_at.as_alias("created"),
                PhoneNumber.e164,
                PhoneNumber.national,
            ).where(PhoneNumber.contact.is_not_null() & column.is_in(chunk))
    return found


async def contacts_with_emails(emails: Iterable[str]) -> list[dict[str, Any]]:
    """Contacts whose email is one of `emails`: `id`, `created_at`, `email`."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(emails):
        found += await Contact.select(Contact.id, Contact.created_at, Contact.email).where(
            Contact.email.is_in(chunk)
        )
    return found


async def update_contact(contact_id: uuid.UUID, values: dict[str, Any], at: datetime) -> None:
    """Write the merged fields of an existing contact (column name to value) and its time."""
    changes: dict[Any, Any] = {Contact._meta.get_column_by_name(k): v for k, v in values.items()}
    changes[Contact.updated_at] = at
    await Contact.update(changes).where(Contact.id == contact_id)


async def update_company(company_id: uuid.UUID, values: dict[str, Any], at: datetime) -> None:
    """Write the merged fields of an existing company and its time."""
    changes: dict[Any, Any] = {Company._meta.get_column_by_name(k): v for k, v in values.items()}
    changes[Company.updated_at] = at
    await Company.update(changes).where(Company.id == company_id)
