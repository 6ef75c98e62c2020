"""hypothesis-graphql over the whole schema, executed by the real app over HTTP.

Every root query and mutation of `schema.graphql`, with arguments and selections
generated from the schema, is posted to `/graphql` of the app from the factory,
authenticated with an API key holding every scope (and, in a few cases, with no
credentials). The property: never a 500, never "Internal error.", and every error
carries `extensions.code`. The quick form runs 40 documents per group by default;
`pytest -m slow` runs 1,500. Both take dates from the whole calendar, with any
offset, and explicit nulls wherever the schema allows them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes

from crm.domain.errors import ErrorCode
from crm.graphql.limits import LimitCode
from tests.graphql_client import gql

SDL = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SDL)
ROOT_FIELDS = sorted(
    [*SCHEMA.query_type.fields, *SCHEMA.mutation_type.fields]  # type: ignore[union-attr]
)
UPLOADS = {"attachRecording"}
"""Fields taking an `Upload`, which only a multipart request's variable can carry."""

_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def datetimes(earliest: datetime, latest: datetime) -> st.SearchStrategy[graphql.ValueNode]:
    """DateTime literals in ISO 8601, with any offset GraphQL clients send."""
    naive = st.datetimes(min_value=earliest, max_value=latest)
    return st.builds(lambda moment, tz: moment.replace(tzinfo=tz), naive, _OFFSETS).map(
        lambda moment: nodes.String(moment.isoformat())
    )


# The whole calendar: 0001-01-01T00:00:00+14:00 and 9999-12-31T23:59:59-14:00 included,
# and calls far longer than a `duration` (GraphQL's Int) could hold.
ANY_DAY = {"DateTime": datetimes(datetime.min, datetime.max)}

EXPECTED_CODES = {code.value for code in ErrorCode} | {code.value for code in LimitCode}
"""The codes of the domain and of the request limits (syntax and validation included)."""


def documents(
    fields: list[str], scalars: dict[str, st.SearchStrategy[graphql.ValueNode]], nulls: bool
) -> st.SearchStrategy[str]:
    return from_schema(SCHEMA, fields=fields, custom_scalars=scalars, allow_null=nulls)


async def check(http: httpx.AsyncClient, document: str) -> None:
    """The property every document must hold, whatever it asks."""
    response = await http.post("/graphql", json={"query": document})
    assert response.status_code != 500, (document, response.text)
    assert response.status_code == 200, (document, response.status_code, response.text)
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        assert error["message"] != "Internal error.", (document, error)
        code = (error.get("extensions") or {}).get("code")
        assert code in EXPECTED_CODES, (document, error)


@pytest.fixture
async def seeded(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A few records, so lists have nodes and nested fields resolve."""
    company = await gql(
        client,
        "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }",
        {"i": {"name": "Hypothesis Ltd", "phones": [{"number": "+14155550100"}]}},
    )
    contact = await gql(
        client,
        "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }",
        {
            "i": {
                "firstName": "Ada",
                "email": "ada@hypothesis.test",
                "companyId": company["createCompany"]["id"],
                "phones": [{"number": "+14155550101"}],
            }
        },
    )
    await gql(
        client,
        "mutation($i: CreateActivityInput!) { createActivity(input: $i) { created } }",
        {
            "i": {
                "callId": "hypothesis-1",
                "direction": "INBOUND",
                "fromNumber": "+14155550101",
                "contactId": contact["createContact"]["contact"]["id"],
            }
        },
    )
    return client


QUICK = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLOW = settings(QUICK, max_examples=1500)

EVERY_FIELD = [name for name in ROOT_FIELDS if name not in UPLOADS]


@QUICK
@given(document=documents(EVERY_FIELD, ANY_DAY, nulls=True))
async def test_suite_every_root_field_answers_errors_with_a_code(
    seeded: httpx.AsyncClient, document: str
) -> None:
    await check(seeded, document)


@settings(QUICK, max_examples=10)
@given(document=documents(EVERY_FIELD, ANY_DAY, nulls=True))
async def test_suite_every_root_field_without_credentials_is_refused_with_a_code(
    anonymous: httpx.AsyncClient, document: str
) -> None:
    await check(anonymous, document)


@pytest.mark.slow
@SLOW
@given(document=documents(EVERY_FIELD, ANY_DAY, nulls=True))
async def test_suite_every_root_field_for_1500_documents_answers_errors_with_a_code(
    seeded: httpx.AsyncClient, document: str
) -> None:
    await check(seeded, document)


def test_suite_the_generated_documents_cover_every_root_field() -> None:
    """Nothing is left out but the upload, which a literal cannot carry."""
    assert set(ROOT_FIELDS) - set(EVERY_FIELD) == UPLOADS
