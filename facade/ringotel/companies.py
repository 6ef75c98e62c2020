"""The Organizations hook: the CRM's companies."""

from __future__ import annotations

from facade.ringotel.hooks import Hook, Output
from facade.ringotel.paging import SYNC_PAGE
from facade.ringotel.phones import LANDLINE_KINDS, MOBILE, first_number

ORGANIZATIONS = Hook(
    name="Organizations",
    method="GET",
    path="/ringotel/v1/companies",
    summary="Companies with their properties, a page at a time; `updated_since` for a sync.",
    tag="companies",
    operation="RingotelCompanies",
    inputs=SYNC_PAGE,
    result="companies",
    shape="page",
    outputs=(
        Output("id", variable="company_id"),
        Output("name", variable="company_name"),
        Output("phone", first_number("MAIN", *LANDLINE_KINDS, MOBILE), variable="phone"),
        Output("website"),
        Output("updated_at", "updatedAt"),
    ),
)
