"""Ringotel's whole workflow, driven through the integration JSON the CRM generates.

Every hook is called the way Ringotel calls it: placeholders filled into the
document's path and body, the answer read through its `response_map`, and the
ids read there fed into the next hooks. Run per auth mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.audio_samples import wav
from tests.facade.ringotel import Answer, Ringotel
from tests.facade.seed import make_user
from tests.graphql_client import gql

Credentials = Callable[[Litestar], Awaitable[dict[str, str]]]


async def bearer_credentials(app: Litestar) -> dict[str, str]:
    """The form value for the bearer mode: an API key made for Ringotel alone, as the
    README advises (`crm apikey create --name Ringotel --scope ringotel`)."""
    _, key = await app.state.services.credentials.create_api_key("Ringotel", ["ringotel"])
    return {"API key": str(key)}


AUTH_MODES: dict[str, Credentials] = {"bearer": bearer_credentials}
"""Each auth mode the CRM offers, and how a test gets the form values for it."""


@pytest.fixture(params=sorted(AUTH_MODES))
async def ringotel(
    request: pytest.FixtureRequest, anonymous: httpx.AsyncClient, app: Litestar
) -> Ringotel:
    """A Ringotel server configured with the CRM's integration JSON for one auth mode;
    it sends only the credentials the document tells it to."""
    mode: str = request.param
    document = (await anonymous.get("/ringotel/integration.json", params={"auth": mode})).json()
    return Ringotel(anonymous, document, await AUTH_MODES[mode](app))


async def test_every_hook_of_the_document_runs_in_workflow_order(
    client: httpx.AsyncClient, ringotel: Ringotel
) -> None:
    agent = await make_user(
        client, "agent@example.com", firstName="Ann", lastName="Agent", extension="101"
    )
    await make_user(client, "left@example.com", isActive=False)
    called: list[str] = []

    async def call(hook: str, **kwargs: Any) -> Answer:
        answer = await ringotel.call(hook, **kwargs)
        called.append(hook)
        assert answer.response.status_code < 300, (hook, answer.response.text)
        return answer

    # Setup in the admin portal: map Ringotel users onto CRM users.
    users = await call("Users")
    assert [r["user_id"] for r in users.records] == [agent["id"]]
    assert users.records[0]["extension"] == "101"
    ringotel.variables["user_id"] = users.records[0]["user_id"]

    # A caller the CRM does not know yet: Ringotel creates the contact, with its company.
    created = await call(
        "CreateContact",
        firstname="Carol",
        lastname="Caller",
        email="carol@example.com",
        phone="+1 (201) 555-0123",
        company_name="Acme",
    )  # $mobile$ and $job_title$ stay unfilled, as Ringotel leaves them
    assert created.response.status_code == 201
    contact_id = created.values["contact_id"]
    retried = await call("CreateContact", firstname="Carol", phone="12015550123")
    assert (retried.response.status_code, retried.values["contact_id"]) == (200, contact_id)
    ringotel.variables["contact_id"] = contact_id

    updated = await call("UpdateContact", job_title="Head of Purchasing", mobile="+12015550199")
    assert updated.values["contact_id"] == contact_id

    contacts = await call("Contacts")
    [carol] = contacts.records
    assert carol == {
        "contact_id": contact_id,
        "firstname": "Carol",
        "lastname": "Caller",
        "email": "carol@example.com",
        "phone": "+12015550123",
        "mobile": "+12015550199",
        "company_id": carol["company_id"],
        "company_name": "Acme",
        "job_title": "Head of Purchasing",
    }
    assert contacts.values["next_cursor"] is None

    organizations = await call("Organizations")
    assert [(r["company_id"], r["company_name"]) for r in organizations.records] == [
        (carol["company_id"], "Acme")
    ]

    # An incoming call: who is it? (filled in raw, the + arrives as a space)
    found = await call("FindContact", phone="+12015550123")
    assert found.records[0]["contact_id"] == contact_id
    assert found.records[0]["company_name"] == "Acme"
    nobody = await call("FindContact", phone="+493090182000")
    assert (nobody.response.json(), nobody.records) == ({"records": []}, [])

    # The call is logged, linked, ended, and its recording uploaded.
    activity = await call(
        "CreateActivity",
        call_id="rt-call-1",
        direction="in",
        phone="+12015550123",
        called_number="101",
        call_start=1_796_040_005_000,
        status="ringing",
        subject="Incoming call",
        contact_id="$contact_id$",  # not known yet at ring time: left unfilled
    )
    assert activity.response.status_code == 201
    activity_id = activity.values["activity_id"]
    again = await call("CreateActivity", call_id="rt-call-1", direction="inbound")
    assert (again.response.status_code, again.values["activity_id"]) == (200, activity_id)
    ringotel.variables["activity_id"] = activity_id

    assigned = await call("AssignActivity")
    assert assigned.values["activity_id"] == activity_id
    answered = await call("UpdateActivityStatus", status="answered")
    assert answered.values["activity_id"] == activity_id
    ended = await call(
        "UpdateActivity",
        call_end=1_796_040_065_000,
        call_duration="60",
        comment="Wants a quote",
        status="completed",
    )
    assert ended.values["activity_id"] == activity_id

    audio = wav()
    uploaded = await call("UploadRecording", files={"file": ("call.wav", audio, "audio/wav")})
    assert uploaded.response.status_code == 201
    assert uploaded.values["activity_id"] == activity_id

    assert called[0] == "Users"
    assert set(called) == set(ringotel.document["API"]), "a hook of the document was not driven"

    # What Ringotel wrote is what the CRM holds.
    data = await gql(
        client,
        "query($id: ID!) { activity(id: $id) { status duration comment direction "
        "user { id } recording { size downloadUrl } } }",
        {"id": activity_id},
    )
    stored = data["activity"]
    assert stored["status"] == "COMPLETED"
    assert stored["duration"] == 60
    assert stored["comment"] == "Wants a quote"
    assert stored["direction"] == "INBOUND"
    assert stored["user"] == {"id": agent["id"]}  # found by the extension called
    assert stored["recording"]["size"] == len(audio)

    # People download the recording (whole, and a range as audio players ask).
    download = f"/ringotel/v1/activities/{activity_id}/recording"
    whole = await client.get(download)
    assert (whole.status_code, whole.content) == (200, audio)
    part = await client.get(download, headers={"Range": "bytes=0-99"})
    assert (part.status_code, part.content) == (206, audio[:100])
