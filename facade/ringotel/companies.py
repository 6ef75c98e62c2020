"""The Organizations hook: the CRM's companies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from litestar import get

from facade.operations import Operation
from facade.ringotel.client import HookClient
from facade.ringotel.hooks import Fills, hook, hook_responses
from facade.ringotel.paging import Cursor, Limit, NextCursor, UpdatedSince, page_of, page_variables
from facade.ringotel.phone_kinds import LANDLINE_KINDS, MOBILE, first_number

COMPANIES_QUERY = Operation(
    "RingotelCompanies",
    """
    query RingotelCompanies($first: Int, $after: String, $filter: CompanyFilter) {
      companies(filter: $filter, first: $first, after: $after) {
        nodes { id name website updatedAt phones { number e164 kind } }
        pageInfo { endCursor hasNextPage }
      }
    }
    """,
)


class CompanyRecord(msgspec.Struct):
    """One company: its main line (else its best other number) as `phone`."""

    id: Annotated[str, Fills("company_id")]
    name: Annotated[str | None, Fills("company_name")]
    phone: Annotated[str | None, Fills("phone")]
    website: str | None
    updated_at: str | None


class CompaniesPage(msgspec.Struct):
    records: list[CompanyRecord]
    next_cursor: NextCursor = None


def company_record(node: Mapping[str, Any]) -> CompanyRecord:
    return CompanyRecord(
        id=node["id"],
        name=node.get("name"),
        phone=first_number(node.get("phones"), "MAIN", *LANDLINE_KINDS, MOBILE),
        website=node.get("website"),
        updated_at=node.get("updatedAt"),
    )


@get(
    "/ringotel/v1/companies",
    operation_id="Organizations",
    tags=["companies"],
    summary="Companies with their properties, a page at a time; `updated_since` for a sync.",
    opt=hook("Organizations"),
    responses=hook_responses(has_body=False),
)
async def organizations(
    graphql: HookClient,
    limit: Limit = None,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> CompaniesPage:
    data = await graphql.run(COMPANIES_QUERY, page_variables(limit, cursor, updated_since))
    return page_of(CompaniesPage, data["companies"], company_record)
