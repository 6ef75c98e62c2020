"""Call activities through /graphql: idempotent creates, the status machine, commuting
updates, user resolution, filters, assignment, and bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm.tables import Activity, Company, Contact, User
from tests.graphql_client import every_page, gql, gql_errors, nodes

FIELDS = """id callId direction status fromNumber toNumber subject comment
  startedAt answeredAt endedAt duration ringDuration talkDuration user { id }"""

CREATE = (
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) "
    "{ created activity { " + FIELDS + " } } }"
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateActivityInput!) { updateActivity(id: $id, input: $input) "
    "{ " + FIELDS + " } }"
)
SET_STATUS = (
    "mutation($id: ID!, $status: ActivityStatus!) { setActivityStatus(id: $id, status: $status) "
    "{ " + FIELDS + " } }"
)
LIST = """
query($filter: ActivityFilter, $first: Int, $after: String) {
  activities(filter: $filter, first: $first, after: $after) {
    nodes { id callId } pageInfo { endCursor hasNextPage }
  }
}
"""


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    payload = {"callId": "call-1", "direction": "INBOUND", **fields}
    data = await gql(client, CREATE, {"input": payload})
    result: dict[str, Any] = data["createActivity"]
    return result


async def update(client: httpx.AsyncClient, activity_id: str, **fields: Any) -> dict[str, Any]:
    data = await gql(client, UPDATE, {"id": activity_id, "input": fields})
    result: dict[str, Any] = data["updateActivity"]
    return result


async def set_status(client: httpx.AsyncClient, activity_id: str, status: str) -> dict[str, Any]:
    data = await gql(client, SET_STATUS, {"id": activity_id, "status": status})
    result: dict[str, Any] = data["setActivityStatus"]
    return result


def seconds(span: timedelta) -> int:
    return round(span.total_seconds())


async def make_user(**fields: Any) -> User:
    user = User(email=f"{fields.pop('name', 'agent')}@example.com", password_hash="x", **fields)
    await user.save()
    return user


async def make_contact(company: Company | None = None) -> Contact:
    contact = Contact(
        first_name="Cleo", last_name="Caller", company=company.id if company else None
    )
    await contact.save()
    return contact


async def test_create_activity_twice_returns_the_first_and_fills_what_it_lacked(
    client: httpx.AsyncClient,
) -> None:
    first = await create(client, fromNumber="+15550102030", toNumber="101")
    assert first["created"] is True
    assert first["activity"]["status"] == "RINGING"
    again = await create(client, fromNumber="+19999999999", subject="Support call", comment="retry")
    assert again["created"] is False
    assert again["activity"]["id"] == first["activity"]["id"]
    assert again["activity"]["fromNumber"] == "+15550102030"  # kept: the first had it
    assert again["activity"]["subject"] == "Support call"  # merged: the first lacked it
    assert again["activity"]["comment"] == "retry"
    assert await Activity.count() == 1


async def test_fifty_concurrent_creates_of_one_call_leave_exactly_one_row(
    client: httpx.AsyncClient,
) -> None:
    results = await asyncio.gather(
        *(create(client, callId="same-call", subject=f"attempt {i}") for i in range(50))
    )
    assert await Activity.count() == 1
    assert sum(1 for result in results if result["created"]) == 1
    assert len({result["activity"]["id"] for result in results}) == 1


async def test_status_machine_moves_forward_and_keeps_the_time_of_each_change(
    client: httpx.AsyncClient,
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=30)
    activity = (await create(client, startedAt=started.isoformat()))["activity"]
    answered = await set_status(client, activity["id"], "ANSWERED")
    assert answered["status"] == "ANSWERED"
    assert answered["answeredAt"] is not None
    assert answered["endedAt"] is None
    completed = await set_status(client, activity["id"], "COMPLETED")
    assert completed["status"] == "COMPLETED"
    assert completed["answeredAt"] == answered["answeredAt"]
    assert completed["endedAt"] is not None
    answered_at = datetime.fromisoformat(answered["answeredAt"])
    ended_at = datetime.fromisoformat(completed["endedAt"])
    assert completed["ringDuration"] == seconds(answered_at - started)
    assert completed["ringDuration"] >= 30
    assert completed["talkDuration"] == seconds(ended_at - answered_at)
    assert completed["duration"] == seconds(ended_at - started)


async def test_repeating_the_status_is_a_no_op_that_succeeds(client: httpx.AsyncClient) -> None:
    activity = (await create(client))["activity"]
    first = await set_status(client, activity["id"], "MISSED")
    again = await set_status(client, activity["id"], "MISSED")
    assert again["status"] == "MISSED"
    assert again["endedAt"] == first["endedAt"]


async def test_lagging_status_after_the_end_is_ignored(client: httpx.AsyncClient) -> None:
    activity = (await create(client))["activity"]
    await set_status(client, activity["id"], "ANSWERED")
    completed = await set_status(client, activity["id"], "COMPLETED")
    for late in ("ANSWERED", "RINGING"):
        result = await set_status(client, activity["id"], late)
        assert result["status"] == "COMPLETED"
        assert result["endedAt"] == completed["endedAt"]


async def test_completed_without_answered_event_ignores_the_late_answer(
    client: httpx.AsyncClient,
) -> None:
    activity = (await create(client))["activity"]
    await set_status(client, activity["id"], "COMPLETED")
    late = await set_status(client, activity["id"], "ANSWERED")
    assert late["status"] == "COMPLETED"
    assert late["answeredAt"] is None
    assert late["talkDuration"] is None  # never reported: unknown, not zero


async def test_illegal_status_change_is_a_conflict_naming_both_states(
    client: httpx.AsyncClient,
) -> None:
    cases = [
        (["COMPLETED"], "MISSED"),
        (["ANSWERED"], "BUSY"),
        (["MISSED"], "ANSWERED"),
        (["VOICEMAIL"], "COMPLETED"),
    ]
    for number, (path, illegal) in enumerate(cases):
        activity = (await create(client, callId=f"illegal-{number}"))["activity"]
        for status in path:
            await set_status(client, activity["id"], status)
        errors = await gql_errors(client, SET_STATUS, {"id": activity["id"], "status": illegal})
        ext = errors[0]["extensions"]
        assert ext["code"] == "CONFLICT"
        assert ext["current"] == path[-1].lower()
        assert ext["requested"] == illegal.lower()
        assert path[-1].lower() in errors[0]["message"]
        assert illegal.lower() in errors[0]["message"]
        row = await Activity.objects().where(Activity.call_id == f"illegal-{number}").first()
        assert row is not None
        assert row.status == path[-1].lower()


async def test_end_time_duration_subject_and_comment_commute_with_the_status(
    client: httpx.AsyncClient,
) -> None:
    started = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    ended = started + timedelta(minutes=5)
    fields = {"endedAt": ended.isoformat(), "subject": "Renewal", "comment": "wants a quote"}

    before = (await create(client, callId="before", startedAt=started.isoformat()))["activity"]
    await update(client, before["id"], **fields)
    result_before = await set_status(client, before["id"], "MISSED")

    after = (await create(client, callId="after", startedAt=started.isoformat()))["activity"]
    await set_status(client, after["id"], "MISSED")
    result_after = await update(client, after["id"], **fields)

    keys = ("status", "endedAt", "duration", "subject", "comment", "ringDuration", "talkDuration")
    assert {k: result_before[k] for k in keys} == {k: result_after[k] for k in keys}
    assert result_after["endedAt"] == "2026-11-30T09:05:00+00:00"
    assert result_after["duration"] == 300  # derived from the times


async def test_given_duration_is_kept_whatever_arrives_after_it(
    client: httpx.AsyncClient,
) -> None:
    started = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    activity = (await create(client, startedAt=started.isoformat()))["activity"]
    await update(client, activity["id"], duration=42)
    await set_status(client, activity["id"], "COMPLETED")
    result = await update(
        client, activity["id"], endedAt=(started + timedelta(minutes=2)).isoformat()
    )
    assert result["duration"] == 42
    assert result["endedAt"] == "2026-11-30T09:02:00+00:00"


async def test_reported_end_time_beats_the_time_the_end_status_arrived(
    client: httpx.AsyncClient,
) -> None:
    started = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    activity = (await create(client, startedAt=started.isoformat()))["activity"]
    await update(client, activity["id"], endedAt="2026-11-30T09:01:00Z")
    result = await set_status(client, activity["id"], "COMPLETED")
    assert result["endedAt"] == "2026-11-30T09:01:00+00:00"
    assert result["duration"] == 60


async def test_update_with_a_status_follows_the_state_machine(
    client: httpx.AsyncClient,
) -> None:
    activity = (await create(client))["activity"]
    await update(client, activity["id"], status="COMPLETED")
    lagging = await update(client, activity["id"], status="ANSWERED", subject="late")
    assert lagging["status"] == "COMPLETED"
    assert lagging["subject"] == "late"
    errors = await gql_errors(
        client, UPDATE, {"id": activity["id"], "input": {"status": "BUSY", "subject": "no"}}
    )
    assert errors[0]["extensions"]["code"] == "CONFLICT"
    row = await Activity.objects().where(Activity.id == activity["id"]).first()
    assert row is not None
    assert row.subject == "late"  # the refused update wrote nothing


async def test_times_are_stored_in_utc_and_shown_with_their_offset(
    client: httpx.AsyncClient,
) -> None:
    activity = (await create(client, startedAt="2026-11-30T10:00:00+02:00"))["activity"]
    assert activity["startedAt"] == "2026-11-30T08:00:00+00:00"
    row = await Activity.objects().where(Activity.id == activity["id"]).first()
    assert row is not None
    assert row.started_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_ring_and_talk_time_come_from_the_answer_and_end_times(
    client: httpx.AsyncClient,
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=20)
    activity = (await create(client, startedAt=started.isoformat()))["activity"]
    answered = await set_status(client, activity["id"], "ANSWERED")
    ended = datetime.fromisoformat(answered["answeredAt"]) + timedelta(seconds=95)
    await update(client, activity["id"], endedAt=ended.isoformat())
    done = await set_status(client, activity["id"], "COMPLETED")
    ring = seconds(datetime.fromisoformat(answered["answeredAt"]) - started)
    assert ring >= 20
    assert done["ringDuration"] == ring
    assert done["talkDuration"] == 95
    assert done["duration"] == seconds(ended - started)


async def test_inbound_call_belongs_to_the_user_with_the_called_extension(
    client: httpx.AsyncClient,
) -> None:
    agent = await make_user(name="agent", extension="101")
    await make_user(name="other", extension="102")
    activity = (await create(client, fromNumber="+15550102030", toNumber="101"))["activity"]
    assert activity["user"] == {"id": str(agent.id)}


async def test_outbound_call_belongs_to_the_user_with_the_calling_phone(
    client: httpx.AsyncClient,
) -> None:
    agent = await make_user(name="agent", phone="+1 212 555 0188", phone_e164="+12125550188")
    activity = (
        await create(
            client, direction="OUTBOUND", fromNumber="(212) 555-0188", toNumber="+442079460000"
        )
    )["activity"]
    assert activity["user"] == {"id": str(agent.id)}


async def test_given_user_id_wins_over_the_number(client: httpx.AsyncClient) -> None:
    await make_user(name="agent", extension="101")
    chosen = await make_user(name="chosen", extension="200")
    activity = (await create(client, toNumber="101", userId=str(chosen.id)))["activity"]
    assert activity["user"] == {"id": str(chosen.id)}


async def test_no_matching_or_ambiguous_user_leaves_the_call_without_one(
    client: httpx.AsyncClient,
) -> None:
    # Extensions are unique among active users; a shared phone can still be ambiguous.
    await make_user(name="a", phone="+1 201 555 0300", phone_e164="+12015550300")
    await make_user(name="b", phone="+1 201 555 0300", phone_e164="+12015550300")
    await make_user(name="c", extension="300", is_active=False)
    ambiguous = (await create(client, callId="amb", toNumber="+12015550300"))["activity"]
    inactive = (await create(client, callId="inactive", toNumber="300"))["activity"]
    assert inactive["user"] is None
    nobody = (await create(client, callId="none", toNumber="999"))["activity"]
    anonymous = (await create(client, callId="anon", toNumber="anonymous"))["activity"]
    assert ambiguous["user"] is None
    assert nobody["user"] is None
    assert anonymous["user"] is None


async def test_unassigned_calls_are_listed_and_can_be_assigned_later(
    client: httpx.AsyncClient,
) -> None:
    company = Company(name="Acme")
    await company.save()
    contact = await make_contact(company)
    linked = (await create(client, callId="linked", contactId=str(contact.id)))["activity"]
    loose = (await create(client, callId="loose"))["activity"]

    data = await gql(client, LIST, {"filter": {"unassigned": True}})
    assert [node["id"] for node in data["activities"]["nodes"]] == [loose["id"]]
    data = await gql(client, LIST, {"filter": {"unassigned": False}})
    assert [node["id"] for node in data["activities"]["nodes"]] == [linked["id"]]

    await gql(
        client,
        "mutation($id: ID!, $c: ID!) { assignActivity(id: $id, contactId: $c) { id } }",
        {"id": loose["id"], "c": str(contact.id)},
    )
    row = await Activity.objects().where(Activity.id == loose["id"]).first()
    assert row is not None
    assert row.contact == contact.id
    assert row.company == company.id  # the contact's company comes along
    data = await gql(client, LIST, {"filter": {"unassigned": True}})
    assert data["activities"]["nodes"] == []


async def test_assigning_to_an_unknown_contact_is_not_found(client: httpx.AsyncClient) -> None:
    activity = (await create(client))["activity"]
    errors = await gql_errors(
        client,
        "mutation($id: ID!, $c: ID!) { assignActivity(id: $id, contactId: $c) { id } }",
        {"id": activity["id"], "c": "00000000-0000-0000-0000-000000000000"},
    )
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "contactId"}


async def test_activities_are_listed_newest_first_and_paged_without_gaps(
    client: httpx.AsyncClient,
) -> None:
    base = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    for i in range(7):
        # two calls share each start time, so the id breaks the tie across pages
        await create(client, callId=f"c{i}", startedAt=(base + timedelta(hours=i // 2)).isoformat())
    pages = await every_page(client, LIST, {"first": 2}, connection=["activities"])
    seen = [node["callId"] for node in nodes(pages)]
    assert len(seen) == 7
    assert set(seen) == {f"c{i}" for i in range(7)}
    assert seen[0] == "c6"
    assert set(seen[-2:]) == {"c0", "c1"}


async def test_activities_filter_by_user_status_direction_contact_and_time(
    client: httpx.AsyncClient,
) -> None:
    agent = await make_user(name="agent")
    contact = await make_contact()
    base = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    mine = (
        await create(
            client,
            callId="mine",
            userId=str(agent.id),
            contactId=str(contact.id),
            startedAt=base.isoformat(),
        )
    )["activity"]
    out = (
        await create(
            client,
            callId="out",
            direction="OUTBOUND",
            status="BUSY",
            startedAt=(base + timedelta(days=1)).isoformat(),
        )
    )["activity"]

    async def ids(filter: dict[str, Any]) -> list[str]:
        data = await gql(client, LIST, {"filter": filter})
        return [node["id"] for node in data["activities"]["nodes"]]

    assert await ids({"userId": str(agent.id)}) == [mine["id"]]
    assert await ids({"contactId": str(contact.id)}) == [mine["id"]]
    assert await ids({"status": "BUSY"}) == [out["id"]]
    assert await ids({"direction": "INBOUND"}) == [mine["id"]]
    assert await ids({"startedAfter": (base + timedelta(hours=1)).isoformat()}) == [out["id"]]
    assert await ids({"startedBefore": (base + timedelta(hours=1)).isoformat()}) == [mine["id"]]
    assert await ids({"status": "BUSY", "direction": "INBOUND"}) == []


async def test_activity_by_id_and_unknown_ids(client: httpx.AsyncClient) -> None:
    activity = (await create(client))["activity"]
    query = "query($id: ID!) { activity(id: $id) { id callId } }"
    data = await gql(client, query, {"id": activity["id"]})
    assert data["activity"] == {"id": activity["id"], "callId": "call-1"}
    for bad in ["00000000-0000-0000-0000-000000000000", "nope"]:
        errors = await gql_errors(client, query, {"id": bad})
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        errors = await gql_errors(client, SET_STATUS, {"id": bad, "status": "ANSWERED"})
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_bad_activity_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    start = "2026-11-30T09:00:00Z"
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"callId": "  "}, "callId", "VALIDATION"),
        ({"callId": "x" * 129}, "callId", "VALIDATION"),
        ({"duration": -1}, "duration", "VALIDATION"),
        ({"duration": 10**7}, "duration", "VALIDATION"),
        ({"startedAt": start, "endedAt": "2026-11-30T08:59:00Z"}, "endedAt", "VALIDATION"),
        ({"subject": "s" * 256}, "subject", "VALIDATION"),
        ({"fromNumber": "1" * 65}, "fromNumber", "VALIDATION"),
        ({"userId": "00000000-0000-0000-0000-000000000000"}, "userId", "NOT_FOUND"),
        ({"contactId": "nope"}, "contactId", "NOT_FOUND"),
        ({"companyId": "00000000-0000-0000-0000-000000000000"}, "companyId", "NOT_FOUND"),
    ]
    for fields, field, code in cases:
        payload = {"callId": "bad", "direction": "INBOUND", **fields}
        errors = await gql_errors(client, CREATE, {"input": payload})
        assert errors[0]["extensions"]["code"] == code, fields
        assert errors[0]["extensions"]["field"] == field, fields
    assert await Activity.count() == 0

    activity = (await create(client, startedAt=start))["activity"]
    errors = await gql_errors(
        client,
        UPDATE,
        {"id": activity["id"], "input": {"subject": "kept?", "endedAt": "2026-11-30T08:00:00Z"}},
    )
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "endedAt"}
    row = await Activity.objects().where(Activity.id == activity["id"]).first()
    assert row is not None
    assert row.subject is None


async def test_bad_page_cursor_is_a_validation_error(client: httpx.AsyncClient) -> None:
    for first, after in ((0, None), (None, "garbage"), (None, "WyJ4IiwieSJd")):
        errors = await gql_errors(client, LIST, {"first": first, "after": after})
        assert errors[0]["extensions"]["code"] == "VALIDATION"


async def test_concurrent_out_of_order_status_events_end_in_the_furthest_state(
    client: httpx.AsyncClient,
) -> None:
    activity = (await create(client))["activity"]
    events = ["RINGING", "COMPLETED", "ANSWERED", "COMPLETED", "RINGING", "ANSWERED"] * 4
    # Each event succeeds (none is a conflict), whatever order they are handled in.
    await asyncio.gather(*(set_status(client, activity["id"], s) for s in events))
    row = await Activity.objects().where(Activity.id == activity["id"]).first()
    assert row is not None
    assert row.status == "completed"
    assert row.ended_at is not None
