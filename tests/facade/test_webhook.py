"""Ringotel's Webhook integration, `POST /ringotel/webhook`, beside the JSON framework's hooks:
one call reported by both, in any order, is one complete activity."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.tables import Activity, RateLimit, User
from tests.facade.seed import make_user
from tests.graphql_client import gql

WEBHOOK = "/ringotel/webhook"
ACTIVITIES = "/ringotel/v1/activities"
CALL_ID = "1729693708182-2d1c3de3d3772cdc1f"
START_MS = 1_796_040_005_000
END_MS = START_MS + 27_000
RINGOTEL_USER = "17295348437628309790"

START_PARAMS: dict[str, Any] = {
    "connection_name": "PBX",
    "extension": "500",
    "user_id": RINGOTEL_USER,
    "connection_id": "17295345566567084859",
    "activity_type": "inbound",
    "domain": "newcompany123",
    "call_start": START_MS,
    "called_number": "500",
    "caller_number": "353212028252",
    "call_id": CALL_ID,
}
STOP_PARAMS: dict[str, Any] = {
    **START_PARAMS,
    "call_end": END_MS,
    "call_duration": 27,
    "call_cause": "0",
}


@pytest.fixture
async def ringotel_key(app: Litestar, anonymous: httpx.AsyncClient) -> str:
    """The token an admin enters in Ringotel's Webhook form: a key made for Ringotel alone."""
    _, key = await app.state.services.credentials.create_api_key("Ringotel", ["ringotel"])
    return str(key)


@pytest.fixture
async def agent(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_user(client, "agent@example.com", extension="500")


@pytest.fixture
async def caller(client: httpx.AsyncClient) -> str:
    """A contact whose number is the caller's, written with its `+` (Ringotel sends none)."""
    data = await gql(
        client,
        "mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }",
        {"input": {"firstName": "Aoife", "phones": [{"number": "+353 21 202 8252"}]}},
    )
    return str(data["createContact"]["contact"]["id"])


async def event(
    http: httpx.AsyncClient, token: str | None, method: str, params: dict[str, Any]
) -> httpx.Response:
    body: dict[str, Any] = {"method": method, "params": params}
    if token is not None:
        body["api_token"] = token
    return await http.post(WEBHOOK, json=body, headers={"Authorization": ""})


async def only_activity() -> Activity:
    rows = await Activity.objects()
    assert len(rows) == 1, rows
    return rows[0]


COMPARED = [
    "call_id",
    "direction",
    "status",
    "from_number",
    "to_number",
    "party_e164",
    "user",
    "contact",
    "company",
    "subject",
    "comment",
    "started_at",
    "answered_at",
    "ended_at",
    "duration",
]


def fields_of(row: Activity) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COMPARED}


# --- every order of one call's four reports -----------------------------------------------

REPORTS = ("StartCallActivity", "StopCallActivity", "CreateActivity", "UpdateActivity")


async def report(
    http: httpx.AsyncClient, token: str, api_key: str, name: str, carried: dict[str, str]
) -> None:
    """Send one report of the call as Ringotel would: the webhook with its token in the body,
    the JSON framework's hooks with the API key, UpdateActivity with CreateActivity's id."""
    if name == "StartCallActivity":
        response = await event(http, token, name, START_PARAMS)
    elif name == "StopCallActivity":
        response = await event(http, token, name, STOP_PARAMS)
    elif name == "CreateActivity":
        response = await http.post(
            ACTIVITIES,
            json={
                "call_id": CALL_ID,
                "direction": "inbound",
                "phone": "353212028252",
                "caller_number": "353212028252",
                "called_number": "500",
                "call_start": START_MS,
                "status": "ringing",
                "subject": "$subject$",
            },
            headers={"Authorization": f"Bearer {api_key}"},
        )
        carried["activity_id"] = response.json()["id"]
    else:
        response = await http.patch(
            f"{ACTIVITIES}/{carried['activity_id']}",
            json={"call_end": END_MS, "call_duration": 27, "status": "completed"},
            headers={"Authorization": f"Bearer {api_key}"},
        )
    assert response.status_code in (200, 201), (name, response.text)


def realistic(order: tuple[str, ...]) -> tuple[str, ...]:
    """`order` as Ringotel can send it: UpdateActivity names the id CreateActivity answered,
    so where it comes first it is held until CreateActivity has answered, then sent."""
    if order.index("UpdateActivity") > order.index("CreateActivity"):
        return order
    held = [name for name in order if name != "UpdateActivity"]
    held.insert(held.index("CreateActivity") + 1, "UpdateActivity")
    return tuple(held)


ORDERS = list(itertools.permutations(REPORTS))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(n[:5] for n in o) for o in ORDERS])
async def test_every_order_of_the_four_reports_leaves_one_complete_activity(
    anonymous: httpx.AsyncClient,
    api_key: str,
    ringotel_key: str,
    agent: dict[str, Any],
    caller: str,
    order: tuple[str, ...],
) -> None:
    """All 24 orders of StartCallActivity, StopCallActivity, CreateActivity and UpdateActivity.

    The 12 with UpdateActivity after CreateActivity are sent as they are. In the other 12,
    UpdateActivity comes before CreateActivity, which Ringotel cannot do (it sends the id
    CreateActivity answered): there UpdateActivity is sent right after CreateActivity, while
    the webhook's events keep their places. Every order leaves the same fields.
    """
    carried: dict[str, str] = {}
    for name in realistic(order):
        await report(anonymous, ringotel_key, api_key, name, carried)
    row = await only_activity()
    assert fields_of(row) == {
        "call_id": CALL_ID,
        "direction": "inbound",
        "status": "completed",
        "from_number": "353212028252",
        "to_number": "500",
        "party_e164": "+353212028252",
        "user": uuid.UUID(agent["id"]),
        "contact": uuid.UUID(caller),
        "company": None,
        "subject": None,
        "comment": None,
        "started_at": datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC),
        "answered_at": None,
        "ended_at": datetime(2026, 11, 30, 12, 0, 32, tzinfo=UTC),
        "duration": 27,
    }
    assert str(row.id) == carried["activity_id"]
    user = await User.objects().where(User.id == uuid.UUID(agent["id"])).first()
    assert user is not None
    assert user.ringotel_user_id == RINGOTEL_USER


async def test_concurrent_start_and_create_activity_log_one_call(
    anonymous: httpx.AsyncClient, api_key: str, ringotel_key: str, agent: dict[str, Any]
) -> None:
    for n in range(5):
        call_id = f"{CALL_ID}-{n}"
        start = event(
            anonymous, ringotel_key, "StartCallActivity", {**START_PARAMS, "call_id": call_id}
        )
        create = anonymous.post(
            ACTIVITIES,
            json={
                "call_id": call_id,
                "direction": "inbound",
                "phone": "353212028252",
                "call_start": START_MS,
            },
            headers={"Authorization": f"Bearer {api_key}"},
        )
        answers = await asyncio.gather(start, create)
        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        assert answers[0].json()["id"] == answers[1].json()["id"]
        rows = await Activity.objects().where(Activity.call_id == call_id)
        assert len(rows) == 1
        assert rows[0].user == uuid.UUID(agent["id"])
        assert rows[0].started_at == datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)


# --- the events on their own ---------------------------------------------------------------


async def test_start_answers_201_then_200_with_the_same_id(
    anonymous: httpx.AsyncClient, ringotel_key: str
) -> None:
    first = await event(anonymous, ringotel_key, "StartCallActivity", START_PARAMS)
    again = await event(anonymous, ringotel_key, "StartCallActivity", START_PARAMS)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert first.json() == again.json() == {"id": first.json()["id"], "ignored": False}
    row = await only_activity()
    assert row.status == "ringing"


async def test_stop_for_a_call_never_started_logs_the_whole_call(
    anonymous: httpx.AsyncClient, ringotel_key: str, agent: dict[str, Any], caller: str
) -> None:
    response = await event(anonymous, ringotel_key, "StopCallActivity", STOP_PARAMS)
    assert response.status_code == 201, response.text
    row = await only_activity()
    assert (row.status, row.duration, row.direction) == ("completed", 27, "inbound")
    assert row.started_at == datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
    assert row.ended_at == datetime(2026, 11, 30, 12, 0, 32, tzinfo=UTC)
    assert (row.user, row.contact) == (uuid.UUID(agent["id"]), uuid.UUID(caller))


async def test_stop_without_a_start_time_began_its_length_before_its_end(
    anonymous: httpx.AsyncClient, ringotel_key: str
) -> None:
    params = {**STOP_PARAMS, "call_start": None}
    assert (await event(anonymous, ringotel_key, "StopCallActivity", params)).status_code == 201
    row = await only_activity()
    assert row.started_at == datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("direction", "cause", "status"),
    [
        ("inbound", "0", "missed"),
        ("outbound", "0", "missed"),
        ("inbound", "busy", "busy"),
        ("outbound", "Cancelled", "cancelled"),
        ("inbound", "no-answer", "missed"),
    ],
)
async def test_an_unanswered_call_ends_in_the_status_the_json_framework_gives_it(
    anonymous: httpx.AsyncClient, ringotel_key: str, direction: str, cause: str, status: str
) -> None:
    params = {**STOP_PARAMS, "activity_type": direction, "call_duration": 0, "call_cause": cause}
    assert (await event(anonymous, ringotel_key, "StopCallActivity", params)).status_code == 201
    row = await only_activity()
    assert row.status == status
    assert row.answered_at is None


async def test_an_outbound_call_finds_the_agent_by_the_caller_extension(
    anonymous: httpx.AsyncClient, ringotel_key: str, agent: dict[str, Any], caller: str
) -> None:
    params = {
        **START_PARAMS,
        "activity_type": "outbound",
        "caller_number": "500",
        "called_number": "353212028252",
    }
    assert (await event(anonymous, ringotel_key, "StartCallActivity", params)).status_code == 201
    row = await only_activity()
    assert (row.user, row.contact) == (uuid.UUID(agent["id"]), uuid.UUID(caller))
    assert row.party_e164 == "+353212028252"


async def test_the_agent_is_found_by_extension_and_remembered_by_ringotel_id(
    client: httpx.AsyncClient, ringotel_key: str, agent: dict[str, Any]
) -> None:
    await event(client, ringotel_key, "StartCallActivity", START_PARAMS)
    data = await gql(
        client, "query($id: ID!) { user(id: $id) { ringotelUserId } }", {"id": agent["id"]}
    )
    assert data["user"]["ringotelUserId"] == RINGOTEL_USER
    # The agent's extension changes in the CRM before Ringotel's: its id still finds it.
    await gql(
        client,
        'mutation($id: ID!) { updateUser(id: $id, input: {extension: "777"}) { id } }',
        {"id": agent["id"]},
    )
    params = {**START_PARAMS, "call_id": "second", "called_number": "+12025550100"}
    assert (await event(client, ringotel_key, "StartCallActivity", params)).status_code == 201
    second = await Activity.objects().where(Activity.call_id == "second").first()
    assert second is not None
    assert second.user == uuid.UUID(agent["id"])


async def test_ringotel_id_moves_to_the_user_who_now_has_the_extension(
    client: httpx.AsyncClient, ringotel_key: str, agent: dict[str, Any]
) -> None:
    await event(client, ringotel_key, "StartCallActivity", START_PARAMS)
    await gql(
        client,
        "mutation($id: ID!) { updateUser(id: $id, input: {extension: null}) { id } }",
        {"id": agent["id"]},
    )
    successor = await make_user(client, "next@example.com", extension="500")
    params = {**START_PARAMS, "call_id": "second"}
    await event(client, ringotel_key, "StartCallActivity", params)
    holders = await User.select(User.email).where(User.ringotel_user_id == RINGOTEL_USER)
    assert holders == [{"email": successor["email"]}]


async def test_no_user_with_the_extension_logs_the_call_without_an_agent(
    anonymous: httpx.AsyncClient, ringotel_key: str
) -> None:
    response = await event(anonymous, ringotel_key, "StartCallActivity", START_PARAMS)
    assert response.status_code == 201, response.text
    assert (await only_activity()).user is None


async def test_an_unknown_method_is_answered_200_ignored_and_logged(
    anonymous: httpx.AsyncClient, ringotel_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="crm.facade"):
        response = await event(anonymous, ringotel_key, "HoldCallActivity", START_PARAMS)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": None, "ignored": True}
    assert any("HoldCallActivity" in record.getMessage() for record in caplog.records)
    assert await Activity.count() == 0


# --- credentials ---------------------------------------------------------------------------


async def test_a_missing_wrong_or_narrow_token_is_403_and_writes_nothing(
    app: Litestar, anonymous: httpx.AsyncClient, ringotel_key: str
) -> None:
    _, narrow = await app.state.services.credentials.create_api_key("reader", ["crm:read"])
    key_id = ringotel_key.split("_")[1]
    for token in (None, "", "$api_token$", f"crmk_{key_id}_wrong", "5c2d7008-a4b9", str(narrow)):
        response = await event(anonymous, token, "StartCallActivity", START_PARAMS)
        assert response.status_code == 403, (token, response.text)
        assert response.json()["error"] == "FORBIDDEN"
        assert response.headers["www-authenticate"].startswith('Bearer realm="crm"')
    # A right key in the header is not the webhook's credential: Ringotel sends it in the body.
    response = await anonymous.post(
        WEBHOOK,
        json={"method": "StartCallActivity", "params": START_PARAMS},
        headers={"Authorization": f"Bearer {ringotel_key}"},
    )
    assert response.status_code == 403
    assert await Activity.count() == 0


async def test_a_token_refused_before_its_values_are_read(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await event(anonymous, "wrong", "StartCallActivity", {"call_start": "never"})
    assert response.status_code == 403, response.text


async def test_wrong_tokens_count_against_the_failure_limit(anonymous: httpx.AsyncClient) -> None:
    for _ in range(3):
        await event(anonymous, "crmk_guess_wrong", "StartCallActivity", START_PARAMS)
    await event(
        anonymous, "$api_token$", "StartCallActivity", START_PARAMS
    )  # no token: not counted
    counted = await RateLimit.select(RateLimit.key, RateLimit.failures)
    assert {"key": "apikey:s:guess", "failures": 3} in counted, counted
    assert {row["failures"] for row in counted} == {3}, counted  # the address's count too


async def test_past_the_limit_wrong_tokens_are_429(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    limit = app.state.settings.auth_max_failures
    answers = [
        (await event(anonymous, "crmk_guess_wrong", "StartCallActivity", START_PARAMS)).status_code
        for _ in range(limit + 1)
    ]
    assert answers[:limit] == [403] * limit
    assert answers[limit] == 429


# --- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"call_id": None}, "params.call_id"),
        ({"call_id": "$call_id$"}, "params.call_id"),
        ({"call_id": "x" * 129}, "params.call_id"),
        ({"activity_type": "sideways"}, "params.activity_type"),
        ({"activity_type": None}, "params.activity_type"),
        ({"call_start": 10**20}, "params.call_start"),
        ({"call_start": -(10**15)}, "params.call_start"),
        ({"call_start": "yesterday"}, "params.call_start"),
        ({"call_end": START_MS - 60_000}, "params.call_end"),
        ({"call_duration": -1}, "params.call_duration"),
        ({"call_duration": 10**9}, "params.call_duration"),
        ({"call_duration": "long"}, "params.call_duration"),
        ({"caller_number": "1" * 65}, "params.caller_number"),
        ({"user_id": "9" * 65}, "params.user_id"),
        ({"call_cause": "\x00"}, "params.call_cause"),
        ({"call_id": "a\x00b"}, "params.call_id"),
    ],
)
async def test_bad_values_are_a_4xx_naming_the_field_and_write_nothing(
    anonymous: httpx.AsyncClient,
    ringotel_key: str,
    agent: dict[str, Any],
    params: dict[str, Any],
    field: str,
) -> None:
    response = await event(anonymous, ringotel_key, "StopCallActivity", {**STOP_PARAMS, **params})
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == field, response.json()
    assert await Activity.count() == 0
    stored = await User.objects().where(User.id == uuid.UUID(agent["id"])).first()
    assert stored is not None
    assert stored.ringotel_user_id is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": None}, "method"),
        ({"method": "StartCallActivity", "params": None}, "params.call_id"),
        ({"method": "StartCallActivity", "params": {"call_id": {"nested": 1}}}, "params.call_id"),
        ({"method": "StartCallActivity", "params": {"call_id": ["a"]}}, "params.call_id"),
        (
            {"method": "StartCallActivity", "params": {"call_id": "c", "activity_type": True}},
            "params.activity_type",
        ),
        ({"method": "StartCallActivity", "params": "call"}, "params"),
        ({"method": ["StartCallActivity"]}, "method"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_a_4xx_naming_the_field(
    anonymous: httpx.AsyncClient, ringotel_key: str, body: dict[str, Any], field: str
) -> None:
    response = await anonymous.post(WEBHOOK, json={**body, "api_token": ringotel_key})
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == field, response.json()
    assert await Activity.count() == 0


async def test_bodies_that_are_no_json_object_are_400_never_500(
    anonymous: httpx.AsyncClient,
) -> None:
    json_type = {"content-type": "application/json"}
    for content in (
        b"\xff\xfe not utf-8",
        b"[" * 100_000,
        b'{"method": "StartCallActivity", "params": {"call_start": 1' + b"0" * 5000 + b"}}",
        b"not json",
        b"[]",
        b"null",
    ):
        response = await anonymous.post(WEBHOOK, content=content, headers=json_type)
        assert 400 <= response.status_code < 500, (content[:40], response.text)
    assert await Activity.count() == 0


async def test_an_oversized_body_is_413(anonymous: httpx.AsyncClient, ringotel_key: str) -> None:
    params = {**START_PARAMS, "domain": "x" * 100_000}
    response = await event(anonymous, ringotel_key, "StartCallActivity", params)
    assert response.status_code == 413, response.text
    assert await Activity.count() == 0


async def test_numbers_sent_as_strings_or_ints_are_read_alike(
    anonymous: httpx.AsyncClient, ringotel_key: str
) -> None:
    params = {
        **STOP_PARAMS,
        "call_start": str(START_MS),
        "call_end": str(END_MS),
        "call_duration": "27",
        "caller_number": 353212028252,
        "called_number": 500,
        "extension": 500,
        "user_id": int(RINGOTEL_USER),
    }
    assert (await event(anonymous, ringotel_key, "StopCallActivity", params)).status_code == 201
    row = await only_activity()
    assert (row.from_number, row.to_number, row.duration) == ("353212028252", "500", 27)
