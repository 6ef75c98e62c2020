"""Two `crm serve` processes on one PostgreSQL database and one bucket, as README
"Deployment" runs them: whichever server a request reaches, it sees the same calls, the
same recordings, the same credentials and the same failure counts."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests import audio_samples
from tests.auth_tools import token_response
from tests.conftest import IS_POSTGRES
from tests.events_client import call_id
from tests.live_server import LiveServer, live_server
from tests.s3_server import S3Server

pytestmark = pytest.mark.skipif(
    not IS_POSTGRES, reason="several servers share PostgreSQL (SQLite is one process's)"
)

ACTIVITIES = "/ringotel/v1/activities"
USERS = "/ringotel/v1/users"
MAX_FAILURES = 3


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers with the settings a deployment shares (the signing key is the test
    session's `CRM_SECRET_KEY`; the public URL is the tokens' issuer and audience), each on
    its own port and process."""
    shared = {
        **s3_server.env(s3_server.bucket, "several-servers"),
        "CRM_PUBLIC_URL": "http://crm.example.test",
        "CRM_AUTH_MAX_FAILURES": str(MAX_FAILURES),
    }
    with (
        live_server(tmp_path_factory.mktemp("server-a"), **shared) as first,
        live_server(tmp_path_factory.mktemp("server-b"), **shared) as second,
    ):
        assert first.pid != second.pid
        assert first.port != second.port
        yield first, second


@pytest.fixture
async def clients(
    servers: tuple[LiveServer, LiveServer],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, str]]:
    """A client of each server, holding one API key made through the first; and the key."""
    first, second = servers
    key = first.api_key("ringotel", "crm:read", "crm:write")
    bearer = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=first.url, headers=bearer, timeout=60) as a,
        httpx.AsyncClient(base_url=second.url, headers=bearer, timeout=60) as b,
    ):
        yield a, b, key


async def test_a_call_created_through_one_server_is_updated_through_the_other(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    a, b, _ = clients
    created = await a.post(
        ACTIVITIES, json={"call_id": call_id(), "direction": "inbound", "phone": "+12015550100"}
    )
    assert created.status_code == 201, created.text
    activity_id = created.json()["id"]
    updated = await b.patch(
        f"{ACTIVITIES}/{activity_id}", json={"subject": "Through the other server"}
    )
    assert updated.status_code == 200, updated.text
    query = {"query": f'{{ activity(id: "{activity_id}") {{ subject }} }}'}
    seen = await a.post("/graphql", json=query)
    assert seen.json()["data"]["activity"]["subject"] == "Through the other server"


async def test_a_recording_uploaded_through_one_server_plays_in_ranges_through_the_other(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    a, b, _ = clients
    created = await a.post(ACTIVITIES, json={"call_id": call_id(), "direction": "inbound"})
    recording = f"{ACTIVITIES}/{created.json()['id']}/recording"
    body = audio_samples.wav(300_000)
    uploaded = await a.post(recording, content=body, headers={"Content-Type": "audio/wav"})
    assert uploaded.status_code == 201, uploaded.text
    etag = f'"{hashlib.sha256(body).hexdigest()}"'

    ranged = await b.get(recording, headers={"Range": "bytes=1000-1999", "If-Range": etag})
    assert ranged.status_code == 206
    assert ranged.content == body[1000:2000]
    assert ranged.headers["etag"] == etag
    assert (await b.get(recording, headers={"If-None-Match": etag})).status_code == 304
    stale = await b.get(recording, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == body


async def test_a_key_revoked_with_one_servers_settings_is_refused_by_both_at_once(
    servers: tuple[LiveServer, LiveServer],
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    first, _ = servers
    a, b, key = clients
    assert (await b.get(USERS)).status_code == 200
    first.crm("apikey", "revoke", key)
    assert (await b.get(USERS)).status_code == 403
    assert (await a.get(USERS)).status_code == 403


async def test_an_access_token_issued_by_one_server_works_on_the_other_until_revoked(
    servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = servers
    made = first.crm_json("client", "create", "--name", "several servers")
    client_id, secret = made["client_id"], made["client_secret"]
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=60) as a,
        httpx.AsyncClient(base_url=second.url, timeout=60) as b,
    ):
        issued = await token_response(a, client_id, secret)
        assert issued.status_code == 200, issued.text
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        assert (await b.get(USERS, headers=bearer)).status_code == 200
        first.crm("client", "revoke", client_id)
        assert (await b.get(USERS, headers=bearer)).status_code == 403


async def test_failed_credentials_are_counted_across_servers(
    servers: tuple[LiveServer, LiveServer],
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    a, b, key = clients
    key_id = key.removeprefix("crmk_").partition("_")[0]
    wrong = {"Authorization": f"Bearer crmk_{key_id}_not-the-secret"}
    for attempt in range(MAX_FAILURES):
        server = a if attempt % 2 == 0 else b
        assert (await server.get(USERS, headers=wrong)).status_code == 403
    # The limit is reached by the failures on both servers together: each refuses now.
    for server in (a, b):
        refused = await server.get(USERS, headers=wrong)
        assert refused.status_code == 429, refused.text
        assert "retry-after" in refused.headers
