"""The activity hooks: create (and its retries), assign, update and status, with bad input."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from crm.tables import Activity, Contact
from tests.facade.seed import make_user

ACTIVITIES = "/ringotel/v1/activities"


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    payload = {"call_id": "call-1", "direction": "inbound", "phone": "+12015550123", **body}
    return await client.post(ACTIVITIES, json=payload)


async def row(activity_id: str) -> Activity:
    found = await Activity.objects().where(Activity.id == uuid.UUID(activity_id)).first()
    assert found is not None
    return found


async def test_create_answers_201_with_the_id_and_stores_the_call(
    client: httpx.AsyncClient,
) -> None:
    agent = await make_user(client, "agent@example.com")
    response = await create(
        client,
        direction="Incoming",
        caller_number="",
        called_number="$called_number$",
        call_start=1_796_040_005_000,
        user_id=agent["id"],
        contact_id=None,
        status="ringing",
        subject="Sales line",
    )
    assert response.status_code == 201, response.text
    stored = await row(response.json()["id"])
    assert stored.direction == "inbound"
    assert stored.from_number == "+12015550123"  # the other party of an inbound call
    assert stored.to_number is None
    assert stored.started_at == datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
    assert str(stored.user) == agent["id"]
    assert stored.subject == "Sales line"


async def test_outbound_phone_is_the_called_number_unless_one_is_given(
    client: httpx.AsyncClient,
) -> None:
    first = await create(client, call_id="out-1", direction="out")
    assert (await row(first.json()["id"])).to_number == "+12015550123"
    second = await create(client, call_id="out-2", direction="out", called_number="101")
    assert (await row(second.json()["id"])).to_number == "101"


async def test_create_with_a_seen_call_id_answers_200_with_the_first_id(
    client: httpx.AsyncClient,
) -> None:
    first = await create(client, subject=None)
    again = await create(client, subject="Filled in by the retry")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert await Activity.count() == 1
    assert (await row(first.json()["id"])).subject == "Filled in by the retry"


async def test_create_refuses_missing_call_id_and_direction_by_name(
    client: httpx.AsyncClient,
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"call_id": "$call_id$"}, "call_id"),
        ({"call_id": ""}, "call_id"),
        ({"direction": None}, "direction"),
        ({"direction": "sideways"}, "direction"),
        ({"call_start": "last tuesday"}, "call_start"),
        ({"status": "exploded"}, "status"),
        ({"subject": "x" * 300}, "subject"),
        ({"call_id": {"nested": 1}}, "call_id"),
    ]
    for body, field in cases:
        response = await create(client, **body)
        assert response.status_code in {400, 422}, (body, response.text)
        assert response.json()["field"] == field, (body, response.json())
    assert await Activity.count() == 0


async def test_create_with_an_unknown_user_names_user_id(client: httpx.AsyncClient) -> None:
    response = await create(client, user_id=str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json()["field"] == "user_id"


async def test_create_refuses_a_body_that_is_not_a_json_object(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ACTIVITIES, content=b"not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    response = await client.post(ACTIVITIES, json=["call-1"])
    assert response.status_code == 400


async def test_update_reads_end_time_and_duration_in_any_form(client: httpx.AsyncClient) -> None:
    activity_id = (await create(client, call_start="2026-11-30T12:00:05Z")).json()["id"]
    response = await client.patch(
        f"{ACTIVITIES}/{activity_id}",
        json={
            "call_end": "1796040065",
            "call_duration": "60",
            "comment": "Wants a quote",
            "subject": "$subject$",
            "status": "completed",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": activity_id}
    stored = await row(activity_id)
    assert stored.ended_at == datetime(2026, 11, 30, 12, 1, 5, tzinfo=UTC)
    assert stored.duration == 60
    assert stored.comment == "Wants a quote"
    assert stored.status == "completed"
    retried = await client.patch(
        f"{ACTIVITIES}/{activity_id}", json={"call_end": "1796040065", "status": "completed"}
    )
    assert retried.status_code == 200, retried.text
    assert (await row(activity_id)).ended_at == stored.ended_at


async def test_update_with_an_empty_body_changes_nothing(client: httpx.AsyncClient) -> None:
    activity_id = (await create(client, subject="Kept")).json()["id"]
    response = await client.patch(f"{ACTIVITIES}/{activity_id}", json={})
    assert response.status_code == 200, response.text
    assert (await row(activity_id)).subject == "Kept"


async def test_update_refuses_bad_values_by_name(client: httpx.AsyncClient) -> None:
    activity_id = (await create(client, call_start="2026-11-30T12:00:05Z")).json()["id"]
    for body, field in [
        ({"call_duration": "a minute"}, "call_duration"),
        ({"call_duration": -5}, "call_duration"),
        ({"call_duration": 10**7}, "call_duration"),
        ({"call_end": "2026-11-30T11:00:00Z"}, "call_end"),  # before it started
    ]:
        response = await client.patch(f"{ACTIVITIES}/{activity_id}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, (body, response.json())


async def test_unknown_and_malformed_activity_ids_are_404(client: httpx.AsyncClient) -> None:
    for activity_id in (str(uuid.uuid4()), "not-an-id"):
        for method, path, body in [
            ("PATCH", f"{ACTIVITIES}/{activity_id}", {"subject": "x"}),
            ("PUT", f"{ACTIVITIES}/{activity_id}/status", {"status": "answered"}),
            ("PUT", f"{ACTIVITIES}/{activity_id}/contact", {"contact_id": str(uuid.uuid4())}),
        ]:
            response = await client.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"] == "NOT_FOUND"


async def test_unfilled_activity_id_in_the_path_is_refused_by_name(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(f"{ACTIVITIES}/$activity_id$", json={"subject": "x"})
    assert response.status_code == 422
    assert response.json()["field"] == "activity_id"


async def test_status_moves_forward_and_an_illegal_change_is_409(
    client: httpx.AsyncClient,
) -> None:
    activity_id = (await create(client)).json()["id"]
    status_path = f"{ACTIVITIES}/{activity_id}/status"
    assert (await client.put(status_path, json={"status": "connected"})).status_code == 200
    assert (await client.put(status_path, json={"status": "Completed"})).status_code == 200
    assert (await client.put(status_path, json={"status": "completed"})).status_code == 200
    conflict = await client.put(status_path, json={"status": "missed"})
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["error"] == "CONFLICT"
    assert (await row(activity_id)).status == "completed"


async def test_status_is_required_and_must_be_known(client: httpx.AsyncClient) -> None:
    activity_id = (await create(client)).json()["id"]
    for body in ({"status": "$status$"}, {}, {"status": "exploded"}):
        response = await client.put(f"{ACTIVITIES}/{activity_id}/status", json=body)
        assert response.status_code == 422, body
        assert response.json()["field"] == "status"


async def test_assign_links_the_contact_and_refuses_unknown_ones(
    client: httpx.AsyncClient,
) -> None:
    contact = Contact(first_name="Carol")
    await contact.save()
    activity_id = (await create(client)).json()["id"]
    path = f"{ACTIVITIES}/{activity_id}/contact"
    response = await client.put(path, json={"contact_id": str(contact.id)})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": activity_id}
    assert (await row(activity_id)).contact == contact.id
    retried = await client.put(path, json={"contact_id": str(contact.id)})
    assert (retried.status_code, retried.json()) == (200, {"id": activity_id})
    unknown = await client.put(path, json={"contact_id": str(uuid.uuid4())})
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "contact_id"
    missing = await client.put(path, json={"contact_id": ""})
    assert missing.status_code == 422
    assert missing.json()["field"] == "contact_id"


async def test_concurrent_retries_of_one_call_leave_one_activity(
    client: httpx.AsyncClient,
) -> None:
    answers = await asyncio.gather(*(create(client, call_id="burst") for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await Activity.count() == 1
