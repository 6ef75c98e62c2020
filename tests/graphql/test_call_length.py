"""A call lasts at most `MAX_DURATION_S`: a longer one is refused when written, and a row
that holds one anyway (written before the bound) reads back with unknown lengths instead
of an `Int` overflow on every read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from crm.domain.activities import MAX_DURATION_S
from crm.domain.call_status import ActivityStatus, CallDirection
from crm.tables import Activity
from tests.graphql_client import gql, gql_errors

CREATE = (
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) "
    "{ created activity { id duration ringDuration talkDuration } } }"
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateActivityInput!) "
    "{ updateActivity(id: $id, input: $input) { id endedAt duration } }"
)
READ = "query($id: ID!) { activity(id: $id) { id duration ringDuration talkDuration } }"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def assert_validation(errors: list[dict[str, Any]], field: str) -> None:
    assert len(errors) == 1, errors
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": field}, errors


async def test_a_call_from_1900_to_2100_is_refused_by_name(client: httpx.AsyncClient) -> None:
    errors = await gql_errors(
        client,
        CREATE,
        {
            "input": {
                "callId": "c-1",
                "direction": "INBOUND",
                "startedAt": "1900-01-01T00:00:00Z",
                "endedAt": "2099-12-31T00:00:00Z",
            }
        },
    )
    assert_validation(errors, "startedAt")
    assert await Activity.count() == 0


async def test_a_new_call_longer_than_the_bound_is_refused_naming_its_end(
    client: httpx.AsyncClient,
) -> None:
    payload = {"callId": "c-1", "direction": "INBOUND", "startedAt": at(0)}
    errors = await gql_errors(
        client, CREATE, {"input": {**payload, "endedAt": at(MAX_DURATION_S + 1)}}
    )
    assert_validation(errors, "endedAt")
    assert await Activity.count() == 0
    data = await gql(client, CREATE, {"input": {**payload, "endedAt": at(MAX_DURATION_S)}})
    assert data["createActivity"]["activity"]["duration"] == MAX_DURATION_S


async def test_moving_the_start_of_an_ended_call_too_far_back_is_refused_naming_the_start(
    client: httpx.AsyncClient,
) -> None:
    data = await gql(
        client,
        CREATE,
        {"input": {"callId": "c-1", "direction": "INBOUND", "startedAt": at(0), "endedAt": at(60)}},
    )
    activity_id = data["createActivity"]["activity"]["id"]
    before = await Activity.select().first()
    errors = await gql_errors(
        client, UPDATE, {"id": activity_id, "input": {"startedAt": at(-MAX_DURATION_S)}}
    )
    assert_validation(errors, "startedAt")
    errors = await gql_errors(
        client, UPDATE, {"id": activity_id, "input": {"endedAt": at(MAX_DURATION_S + 60)}}
    )
    assert_validation(errors, "endedAt")
    assert await Activity.select().first() == before


@pytest.mark.parametrize("duration", [MAX_DURATION_S + 1, 2**31 - 1, -1])
async def test_a_reported_duration_out_of_bounds_is_refused(
    client: httpx.AsyncClient, duration: int
) -> None:
    errors = await gql_errors(
        client, CREATE, {"input": {"callId": "c-1", "direction": "INBOUND", "duration": duration}}
    )
    assert_validation(errors, "duration")


async def test_a_row_holding_a_200_year_call_reads_with_unknown_lengths_and_no_error(
    client: httpx.AsyncClient,
) -> None:
    start = datetime(1900, 1, 1, tzinfo=UTC)
    row = Activity(
        call_id="legacy",
        direction=CallDirection.INBOUND.value,
        status=ActivityStatus.COMPLETED.value,
        started_at=start,
        answered_at=start + timedelta(days=1),
        ended_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    await row.save()
    data = await gql(client, READ, {"id": str(row.id)})
    assert data["activity"] == {
        "id": str(row.id),
        "duration": None,
        "ringDuration": 86_400,  # a day of ringing is within the bound, and fits
        "talkDuration": None,
    }
    listed = await gql(client, "{ activities { nodes { id duration ringDuration talkDuration } } }")
    assert listed["activities"]["nodes"] == [data["activity"]]


async def test_the_rest_hook_refuses_a_call_longer_than_the_bound(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/ringotel/v1/activities",
        json={"call_id": "c-1", "direction": "inbound", "call_start": at(0)},
    )
    assert created.status_code == 201, created.text
    path = f"/ringotel/v1/activities/{created.json()['id']}"
    response = await client.patch(path, json={"call_end": at(MAX_DURATION_S + 1)})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "call_end"
    response = await client.patch(path, json={"call_duration": MAX_DURATION_S + 1})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "call_duration"
