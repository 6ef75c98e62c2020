"""Every time a client gives through GraphQL is read in one range: a time at the edge of
what Python can hold (year 1 east of UTC, year 9999 west of it) or outside the CRM's
range is a VALIDATION error naming the field, and nothing is written."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crm.domain.call_status import ActivityStatus, CallDirection
from crm.tables import Activity
from tests.graphql_client import every_page, gql, gql_errors, nodes

EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
]
NO_ID = "00000000-0000-0000-0000-000000000000"

# (document, variables with `$v` the time, field the error must name)
READS = [
    (
        "query($v: DateTime!) { contacts(filter: {updatedSince: $v}) { nodes { id } } }",
        "updatedSince",
    ),
    (
        "query($v: DateTime!) { companies(filter: {updatedSince: $v}) { nodes { id } } }",
        "updatedSince",
    ),
    ("query($v: DateTime!) { deletedSince(since: $v) { nodes { id } } }", "since"),
    (
        "query($v: DateTime!) { activities(filter: {startedAfter: $v}) { nodes { id } } }",
        "startedAfter",
    ),
    (
        "query($v: DateTime!) { activities(filter: {startedBefore: $v}) { nodes { id } } }",
        "startedBefore",
    ),
]
CREATE = (
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) "
    "{ created activity { id } } }"
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateActivityInput!) "
    "{ updateActivity(id: $id, input: $input) { id startedAt endedAt } }"
)


def cursor_of(time: str) -> str:
    """A cursor shaped like the API's own, holding `time`."""
    payload = json.dumps([time, NO_ID]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def assert_validation(errors: list[dict[str, Any]], field: str) -> None:
    assert len(errors) == 1, errors
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}, errors


@pytest.mark.parametrize("time", EDGE_TIMES)
@pytest.mark.parametrize(("document", "field"), READS, ids=[field for _, field in READS])
async def test_a_time_out_of_range_in_a_filter_is_a_validation_error_naming_it(
    client: httpx.AsyncClient, document: str, field: str, time: str
) -> None:
    assert_validation(await gql_errors(client, document, {"v": time}), field)


@pytest.mark.parametrize("time", EDGE_TIMES)
@pytest.mark.parametrize("field", ["startedAt", "endedAt"])
async def test_a_time_out_of_range_on_a_new_call_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, field: str, time: str
) -> None:
    errors = await gql_errors(
        client, CREATE, {"input": {"callId": "c-1", "direction": "INBOUND", field: time}}
    )
    assert_validation(errors, field)
    assert await Activity.count() == 0


@pytest.mark.parametrize("time", EDGE_TIMES)
@pytest.mark.parametrize("field", ["startedAt", "endedAt"])
async def test_a_time_out_of_range_on_an_update_is_refused_and_the_call_stays(
    client: httpx.AsyncClient, field: str, time: str
) -> None:
    created = await gql(client, CREATE, {"input": {"callId": "c-1", "direction": "INBOUND"}})
    activity_id = created["createActivity"]["activity"]["id"]
    before = await Activity.select().first()
    errors = await gql_errors(client, UPDATE, {"id": activity_id, "input": {field: time}})
    assert_validation(errors, field)
    assert await Activity.select().first() == before


@pytest.mark.parametrize("time", EDGE_TIMES[:2])
@pytest.mark.parametrize(
    "document",
    [
        "query($c: String) { contacts(after: $c) { nodes { id } } }",
        "query($c: String) { companies(after: $c) { nodes { id } } }",
        "query($c: String) { activities(after: $c) { nodes { id } } }",
        'query($c: String) { deletedSince(since: "2020-01-01T00:00:00Z", after: $c) '
        "{ nodes { id } } }",
    ],
    ids=["contacts", "companies", "activities", "deletedSince"],
)
async def test_a_cursor_holding_a_time_out_of_range_is_not_a_cursor(
    client: httpx.AsyncClient, document: str, time: str
) -> None:
    assert_validation(await gql_errors(client, document, {"c": cursor_of(time)}), "cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(b"[" * 100_000).decode(),
        "x" * 100_000,
        "💥",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
    ids=["nested", "long", "emoji", "not-utf8"],
)
async def test_a_cursor_the_api_never_made_is_a_validation_error(
    client: httpx.AsyncClient, cursor: str
) -> None:
    for document in (
        "query($c: String) { contacts(after: $c) { nodes { id } } }",
        "query($c: String) { users(after: $c) { nodes { id } } }",
    ):
        assert_validation(await gql_errors(client, document, {"c": cursor}), "cursor")


async def test_a_cursor_of_a_contact_s_calls_out_of_range_is_not_a_cursor(
    client: httpx.AsyncClient,
) -> None:
    await gql(
        client,
        'mutation { createContact(input: {firstName: "Ann"}) { created } }',
    )
    errors = await gql_errors(
        client,
        "query($c: String) { contacts { nodes { activities(after: $c) { nodes { id } } } } }",
        {"c": cursor_of("0001-01-01T00:00:00+14:00")},
    )
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "cursor"}, errors


async def test_the_first_and_last_moments_of_the_range_are_accepted(
    client: httpx.AsyncClient,
) -> None:
    for time in ("1970-01-01T00:00:00Z", "2099-12-31T23:59:59-00:00", "1970-01-01T05:00:00+05:00"):
        await gql(client, READS[0][0], {"v": time})
    data = await gql(
        client,
        CREATE,
        {
            "input": {
                "callId": "c-epoch",
                "direction": "INBOUND",
                "startedAt": "1970-01-01T00:00:00Z",
            }
        },
    )
    assert data["createActivity"]["created"] is True


async def test_paging_gets_past_a_call_written_before_times_were_bounded(
    client: httpx.AsyncClient,
) -> None:
    for call_id, year in (("legacy", 1900), ("older", 1899)):
        old = Activity(
            call_id=call_id,
            direction=CallDirection.INBOUND.value,
            status=ActivityStatus.RINGING.value,
            started_at=datetime(year, 1, 1, tzinfo=UTC),
        )
        await old.save()
    await gql(client, CREATE, {"input": {"callId": "new", "direction": "INBOUND"}})
    await gql(
        client,
        CREATE,
        {"input": {"callId": "newer", "direction": "INBOUND", "startedAt": "2099-01-01T00:00:00Z"}},
    )
    pages = await every_page(
        client,
        "query($a: String) { activities(first: 1, after: $a) "
        "{ nodes { callId } pageInfo { endCursor hasNextPage } } }",
        connection=["activities"],
        cursor="a",
    )
    seen = [node["callId"] for node in nodes(pages)]
    assert seen == ["newer", "new", "legacy", "older"]
