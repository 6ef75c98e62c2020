"""`callEvents` against the real server: each change, through each door, reaches a
subscriber with its type and the call as the `Activity` type has it."""

from __future__ import annotations

import httpx
import pytest
from gql.transport.exceptions import TransportQueryError

from tests import audio_samples
from tests.events.conftest import ACTIVITIES, log_call, make_user, subscriber, user_token
from tests.events_client import EventStream, call_id
from tests.graphql_client import gql
from tests.live_server import LiveServer

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_call_logged_through_the_rest_facade_reaches_a_subscriber_as_started(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    agent = await make_user(rest, "agent@example.com", "101")
    contact = await gql(
        rest,
        'mutation { createContact(input: {firstName: "Ann", lastName: "Lee", '
        'companyName: "Acme", phones: [{number: "+44 20 7946 0018"}]}) { contact { id } } }',
    )
    async with subscriber(server, rest, f"Bearer {api_key}") as events:
        activity_id = await log_call(rest, phone="+44 20 7946 0018", called_number="101")
        event = await events.of_call(activity_id)
    assert event["type"] == "STARTED"
    activity = event["activity"]
    assert activity["status"] == "RINGING"
    assert activity["user"] == {"email": agent["email"]}
    assert activity["contact"] == {
        "id": contact["createContact"]["contact"]["id"],
        "firstName": "Ann",
    }
    assert activity["company"] == {"name": "Acme"}


async def test_a_call_logged_through_graphql_reaches_a_subscriber_as_started(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    async with subscriber(server, rest, f"Bearer {api_key}") as events:
        data = await gql(
            rest,
            "mutation($id: String!) { createActivity(input: {callId: $id, direction: OUTBOUND,"
            ' toNumber: "+12015550111"}) { activity { id } } }',
            {"id": "graphql-call"},
        )
        activity_id = data["createActivity"]["activity"]["id"]
        event = await events.of_call(activity_id)
    assert event["type"] == "STARTED"
    assert event["activity"]["callId"] == "graphql-call"


async def test_status_changes_are_heard_as_answered_then_ended(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    async with subscriber(server, rest, f"Bearer {api_key}") as events:
        activity_id = await log_call(rest)
        await events.of_call(activity_id, kind="STARTED")
        for status in ("answered", "answered", "completed", "answered"):  # repeats, a late one
            response = await rest.put(f"{ACTIVITIES}/{activity_id}/status", json={"status": status})
            assert response.status_code == 200, response.text
        answered = await events.of_call(activity_id)
        ended = await events.of_call(activity_id)
        # a repeated or late status changes nothing, and says nothing
        marker = await log_call(rest)
        between = await events.of_call(marker)
    assert (answered["type"], answered["activity"]["status"]) == ("ANSWERED", "ANSWERED")
    assert (ended["type"], ended["activity"]["status"]) == ("ENDED", "COMPLETED")
    assert between["type"] == "STARTED"


async def test_linking_a_contact_is_heard_as_assigned(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    data = await gql(
        rest,
        'mutation { createContact(input: {firstName: "Bo", lastName: "Ek"}) { contact { id } } }',
    )
    contact_id = data["createContact"]["contact"]["id"]
    async with subscriber(server, rest, f"Bearer {api_key}") as events:
        activity_id = await log_call(rest, phone="anonymous")
        started = await events.of_call(activity_id)
        response = await rest.put(
            f"{ACTIVITIES}/{activity_id}/contact", json={"contact_id": contact_id}
        )
        assert response.status_code == 200, response.text
        assigned = await events.of_call(activity_id)
    assert started["activity"]["contact"] is None
    assert assigned["type"] == "ASSIGNED"
    assert assigned["activity"]["contact"] == {"id": contact_id, "firstName": "Bo"}


async def test_uploading_a_recording_is_heard_as_recording_attached(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    async with subscriber(server, rest, f"Bearer {api_key}") as events:
        activity_id = await log_call(rest)
        await events.of_call(activity_id, kind="STARTED")
        body = audio_samples.wav()
        response = await rest.post(
            f"{ACTIVITIES}/{activity_id}/recording", files={"file": ("call.wav", body, "audio/wav")}
        )
        assert response.status_code in (200, 201), response.text
        event = await events.of_call(activity_id)
    assert event["type"] == "RECORDING_ATTACHED"
    assert event["activity"]["recording"] == {"size": len(body)}


async def test_mine_keeps_the_calls_of_the_signed_in_users_extension(
    server: LiveServer, rest: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    alice = await make_user(rest, "alice@example.com", "201")
    await make_user(rest, "bob@example.com", "202")
    token = user_token(server, alice["id"], oauth_client[0])
    async with subscriber(
        server, rest, f"Bearer {token}", mine=True, called_number="201"
    ) as events:
        bobs = await log_call(rest, called_number="202")
        alices = await log_call(rest, called_number="201")
        heard = await events.next()
    assert heard["activity"]["id"] == alices != bobs
    assert heard["activity"]["user"] == {"email": "alice@example.com"}


async def test_mine_with_a_credential_of_no_user_is_a_validation_error_on_mine(
    server: LiveServer, api_key: str
) -> None:
    async with EventStream(server.url, f"Bearer {api_key}", mine=True) as events:
        with pytest.raises(TransportQueryError) as refused:
            await events.next()
    assert refused.value.errors is not None
    error = refused.value.errors[0]
    assert error["extensions"] == {"code": "VALIDATION", "field": "mine"}


async def test_an_unassigned_number_names_no_contact(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str
) -> None:
    async with subscriber(server, rest, f"Bearer {api_key}") as events:
        activity_id = await log_call(rest, call_id=call_id(), phone="+12015550199")
        event = await events.of_call(activity_id)
    assert event["activity"]["contact"] is None


async def test_a_ringotel_webhook_call_pops_up_for_its_agent_then_ends(
    server: LiveServer, rest: httpx.AsyncClient, api_key: str, oauth_client: tuple[str, str]
) -> None:
    """The webhook's StartCallActivity reaches the agent's own subscription (found by
    extension) with the caller's contact; StopCallActivity ends it."""
    agent = await make_user(rest, "ringotel-agent@example.com", "500")
    await gql(
        rest,
        'mutation { createContact(input: {firstName: "Róisín", lastName: "Byrne", '
        'phones: [{number: "+353 21 202 8252"}]}) { contact { id } } }',
    )
    token = user_token(server, agent["id"], oauth_client[0])
    params = {
        "extension": "500",
        "user_id": "17295348437628309790",
        "activity_type": "inbound",
        "call_start": 1_796_040_005_000,
        "called_number": "500",
        "caller_number": "353212028252",
        "call_id": call_id(),
    }
    async with subscriber(
        server, rest, f"Bearer {token}", mine=True, called_number="500"
    ) as events:
        start = await rest.post(
            "/ringotel/webhook",
            json={"method": "StartCallActivity", "api_token": api_key, "params": params},
        )
        assert start.status_code == 201, start.text
        started = await events.next()
        stop = await rest.post(
            "/ringotel/webhook",
            json={
                "method": "StopCallActivity",
                "api_token": api_key,
                "params": {**params, "call_end": 1_796_040_032_000, "call_duration": 27},
            },
        )
        assert stop.status_code == 200, stop.text
        ended = await events.next()
    assert started["type"] == "STARTED"
    assert started["activity"]["callId"] == params["call_id"]
    assert started["activity"]["user"] == {"email": "ringotel-agent@example.com"}
    assert started["activity"]["contact"]["firstName"] == "Róisín"
    assert started["activity"]["callerMatch"] == "CONTACT_NUMBER"
    assert (ended["type"], ended["activity"]["status"]) == ("ENDED", "COMPLETED")
