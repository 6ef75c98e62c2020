"""Ringotel's whole workflow, driven through the integration JSON the CRM generates.

Every hook is called the way Ringotel calls it: placeholders filled into the
document's path and body, the answer read through its `response_map`, and the
ids read there fed into the next hooks. Run per auth mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from litestar import Litestar

from crm.domain.users import UserInput
from tests.audio_samples import wav
from tests.auth_tools import sign_in
from tests.conftest import OAUTH_REDIRECT_URI
from tests.facade.ringotel import Answer, Ringotel, fill
from tests.facade.seed import make_user
from tests.graphql_client import gql

Credentials = Callable[[Litestar, httpx.AsyncClient, dict[str, Any]], Awaitable[dict[str, str]]]
"""How a test gets the values an admin types into Ringotel's form for one auth mode (and,
for OAuth2, the token Ringotel obtains with them), given the app, a browser and the document."""

ADMIN_EMAIL = "it@example.com"
ADMIN_PASSWORD = "admin password"


async def bearer_credentials(
    app: Litestar, browser: httpx.AsyncClient, document: dict[str, Any]
) -> dict[str, str]:
    """The form value for the bearer mode: an API key made for Ringotel alone, as the
    README advises (`crm apikey create --name Ringotel --scope ringotel`)."""
    _, key = await app.state.services.credentials.create_api_key("Ringotel", ["ringotel"])
    return {"API key": str(key)}


async def basic_credentials(
    app: Litestar, browser: httpx.AsyncClient, document: dict[str, Any]
) -> dict[str, str]:
    """The form values for the basic mode: an OAuth2 client's id and secret, made for Ringotel
    alone (`crm client create --name Ringotel --scope ringotel`)."""
    row, secret = await app.state.services.credentials.create_client("Ringotel", [], ["ringotel"])
    return {"Username": str(row.client_id), "Password": str(secret)}


async def oauth2_credentials(
    app: Litestar, browser: httpx.AsyncClient, document: dict[str, Any]
) -> dict[str, str]:
    """The OAuth2 mode as Ringotel runs it: a client made for Ringotel with its callback URL,
    a CRM user who signs in and allows access on the document's authorization endpoint,
    and the code exchanged at its token endpoint in the form its token_parameters name."""
    row, secret = await app.state.services.credentials.create_client(
        "Ringotel", [OAUTH_REDIRECT_URI], ["ringotel"]
    )
    await app.state.services.users.create(UserInput(email=ADMIN_EMAIL, password=ADMIN_PASSWORD))
    oauth = document["OAuth2"]
    form = {"Client ID": str(row.client_id), "Client Secret": str(secret)}
    query = urlencode(
        {
            "response_type": "code",
            "client_id": form["Client ID"],
            "redirect_uri": OAUTH_REDIRECT_URI,
            "state": "ringotel-state",
        }
    )
    authorize_url = f"{oauth['authorization_endpoint']}?{query}&"
    authorize_url += oauth["authorization_parameters"]["default"]
    answer = await sign_in(browser, authorize_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert answer.status_code == 303, answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = await browser.post(
        oauth["token_endpoint"],
        content=urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": OAUTH_REDIRECT_URI,
                "client_id": fill(oauth["client_id"], form),
                "client_secret": fill(oauth["client_secret"], form),
            }
        ),
        headers={"Content-Type": oauth["token_parameters"]["content_type"]},
    )
    assert token.status_code == 200, token.text
    assert token.json()["instance_url"] == document["url"]
    return form | {"access_token": token.json()["access_token"]}


AUTH_MODES: dict[str, Credentials] = {
    "bearer": bearer_credentials,
    "basic": basic_credentials,
    "oauth2": oauth2_credentials,
}
"""Each auth mode the CRM offers, and how a test gets the form values for it."""


@pytest.fixture(params=sorted(AUTH_MODES))
async def ringotel(
    request: pytest.FixtureRequest, anonymous: httpx.AsyncClient, app: Litestar
) -> AsyncIterator[Ringotel]:
    """A Ringotel server configured with the CRM's integration JSON for one auth mode.

    It has its own HTTP client (the app already runs in `anonymous`'s lifespan), so it
    sends only the credentials the document tells it to, and so does its admin's browser.
    """
    mode: str = request.param
    asgi_app: Any = app
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app)) as http,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app)) as browser,
    ):
        url = "http://crm.test/ringotel/integration.json"
        document = (await http.get(url, params={"auth": mode})).json()
        browser.base_url = httpx.URL(document["url"])
        yield Ringotel(http, document, await AUTH_MODES[mode](app, browser, document))


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
    by_email = {r["email"]: r for r in users.records}
    assert "left@example.com" not in by_email  # only active users
    assert by_email["agent@example.com"]["user_id"] == agent["id"]
    assert by_email["agent@example.com"]["extension"] == "101"
    ringotel.variables["user_id"] = agent["id"]

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
