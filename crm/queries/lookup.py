"""The statements of `crm.domain.lookup`: one round trip per lookup, each branch an index seek.

The rows come back with every column of the matched numbers' owners (under
`contact__`, `company__`, `phone__`), for `crm.queries.rows.row_from` to rebuild.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crm.domain.phone_normalization import SUFFIX_DIGITS
from crm.queries.rows import fetch, select_list
from crm.tables import Company, Contact, PhoneNumber

if TYPE_CHECKING:
    from crm.domain.lookup import LookupKey

MAX_CANDIDATES = 1000
"""Most stored numbers one lookup reads; a real number is shared by far fewer."""
MAX_ROWS = 4 * MAX_CANDIDATES
"""Most rows the lookup statement returns: a matched number comes once per number of its
contact. When a lookup reaches it, the contacts' numbers are left to be read apart."""

# The matched numbers with their owners (a contact's company too), each owner's latest
# call (and a contact's latest call on the matched line), and every number of a matched
# contact (one row per such number), in one round trip: the rows are rebuilt from the
# `contact__`/`company__`/`phone__` columns.
_MATCH_SELECT = " ".join(
    (
        "SELECT p.id, p.contact, p.company, p.kind, p.number, p.e164, p.national, p.extension,",
        "(SELECT max(a.started_at) FROM crm_activity a WHERE a.contact = p.contact)",
        "AS contact_last_call,",
        "(SELECT max(a.started_at) FROM crm_activity a WHERE a.company = p.company)",
        "AS company_last_call,",
        "(SELECT max(a.started_at) FROM crm_activity a",
        "WHERE a.contact = p.contact AND a.party_e164 = p.e164) AS contact_line_call,",
        select_list(Contact, "contact") + ",",
        select_list(Company, "company") + ",",
        select_list(PhoneNumber, "phone"),
        "FROM crm_phone_number p",
        "LEFT JOIN crm_contact contact ON contact.id = p.contact",
        "LEFT JOIN crm_company company ON company.id = COALESCE(p.company, contact.company)",
        "LEFT JOIN crm_phone_number phone ON phone.contact = p.contact",
    )
)


# A company's contacts for a call from its main line that none of them shares: the one
# who called from that line last first, then by latest call, then the latest changed.
LINE_STAFF = " ".join(
    (
        "SELECT",
        select_list(Contact, "c") + ",",
        "(SELECT max(a.started_at) FROM crm_activity a",
        "WHERE a.contact = c.id AND a.party_e164 = {}) AS line_call,",
        "(SELECT max(a.started_at) FROM crm_activity a WHERE a.contact = c.id) AS last_call",
        "FROM crm_contact c WHERE c.company = {}",
        "ORDER BY line_call DESC NULLS LAST, last_call DESC NULLS LAST,",
        "c.updated_at DESC, c.id LIMIT {}",
    )
)


def match_statement(key: LookupKey) -> tuple[str, list[Any]]:
    """The one SQL statement a lookup runs: an OR of index seeks, one per tier.

    Written once for both engines (Piccolo turns `{}` into `$n` or `?`); a test
    EXPLAINs it to prove every branch is an index seek.
    """
    branches: list[str] = []
    args: list[Any] = []
    nationals = list(dict.fromkeys(key.national + key.national_unplaced))
    for column, values in (("e164", list(key.e164)), ("national", nationals)):
        if values:
            branches.append(f"p.{column} IN ({', '.join('{}' for _ in values)})")
            args.extend(values)
    if key.suffix is not None:
        branches.append("p.suffix = {}")
        args.append(key.suffix[-SUFFIX_DIGITS:])
    # Only fixed fragments are joined here; every value is a bound parameter.
    sql = f"{_MATCH_SELECT} WHERE {' OR '.join(branches)} LIMIT {MAX_ROWS}"
    return sql, args


async def matches(key: LookupKey) -> Sequence[Mapping[str, Any]]:
    """The rows of `match_statement`: at most `MAX_ROWS`."""
    sql, args = match_statement(key)
    return await fetch(sql, *args)


async def line_staff(
    company_id: uuid.UUID, line_e164: str | None, limit: int
) -> Sequence[Mapping[str, Any]]:
    """The rows of `LINE_STAFF`, contacts under the `c__` prefix."""
    return await fetch(LINE_STAFF, line_e164, company_id, limit)
