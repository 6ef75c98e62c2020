"""`crm serve` against slow clients, over real sockets: headers sent a byte at a time, bodies
that trickle in, and connections that send nothing are closed by the server within their
timeouts (set small here through the settings), while normal requests are answered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests import audio_samples
from tests.live_server import LiveServer, live_server, own_sqlite

HEADER_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 2.0
GIVE_UP_S = 25.0
"""When the test stops waiting: far beyond every timeout, so a pass is never luck."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("slow-clients")
    with live_server(
        folder,
        database_url=own_sqlite(folder),
        CRM_HTTP_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        CRM_HTTP_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S),
        CRM_HTTP_BODY_MIN_RATE="100",
        CRM_HTTP_IDLE_TIMEOUT_S="2",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def api_key(server: LiveServer) -> str:
    return str(server.crm_json("apikey", "create", "--name", "tests")["api_key"])


@dataclass
class Outcome:
    seconds: float
    """From connecting until the server closed the connection (or the test gave up)."""
    closed: bool
    answer: bytes
    sent: int


async def drip(server: LiveServer, head: bytes, body: bytes = b"", every_s: float = 0.5) -> Outcome:
    """Connect, send `head` at once (it may be empty), then `body` one byte every `every_s`
    seconds (the first after a pause), until the server closes the connection."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    started = loop.time()
    sent = 0

    async def send_slowly() -> None:
        nonlocal sent
        try:
            if head:
                writer.write(head)
                await writer.drain()
            for index in range(len(body)):
                await asyncio.sleep(every_s)
                writer.write(body[index : index + 1])
                await writer.drain()
                sent += 1
        except OSError:
            return  # the server closed the connection under us

    async def read_until_closed() -> None:
        # As the bytes come, as an HTTP client reads: the server closes right after its
        # answer, so a byte the sender still writes can bring a reset after the answer
        # (and `reader.read()` would throw away what it had read).
        while chunk := await reader.read(65536):
            answer.extend(chunk)

    sender = asyncio.create_task(send_slowly())
    answer = bytearray()
    try:
        await asyncio.wait_for(read_until_closed(), GIVE_UP_S)
        closed = True
    except TimeoutError:
        closed = False
    except ConnectionResetError:
        closed = True
    seconds = loop.time() - started
    sender.cancel()
    writer.close()
    return Outcome(seconds, closed, bytes(answer), sent)


async def healthy(server: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{server.url}/health")
    assert response.status_code == 200


async def new_activity(server: LiveServer, api_key: str) -> str:
    mutation = (
        'mutation { createActivity(input: {callId: "slow-1", direction: INBOUND}) '
        "{ activity { id } } }"
    )
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{server.url}/graphql",
            json={"query": mutation},
            headers={"Authorization": f"Bearer {api_key}"},
        )
    return str(response.json()["data"]["createActivity"]["activity"]["id"])


async def test_slow_header_streams_are_closed_at_the_header_timeout_while_others_are_served(
    server: LiveServer,
) -> None:
    lines = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"
    slow = [asyncio.create_task(drip(server, b"", lines)) for _ in range(3)]
    silent = asyncio.create_task(drip(server, b""))  # connects and sends nothing at all
    await asyncio.sleep(0.5)
    await healthy(server)  # served while the slow ones hang on
    for outcome in await asyncio.gather(*slow, silent):
        assert outcome.closed, outcome
        assert HEADER_TIMEOUT_S - 0.5 <= outcome.seconds <= HEADER_TIMEOUT_S + 8, outcome
        assert outcome.answer == b""  # the request never reached the app
    await healthy(server)


async def test_trickling_uploads_are_answered_408_and_closed_while_others_are_served(
    server: LiveServer, api_key: str
) -> None:
    activity = await new_activity(server, api_key)
    audio = audio_samples.wav(2000)
    head = (
        f"POST /ringotel/v1/activities/{activity}/recording HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Authorization: Bearer {api_key}\r\n"
        "Content-Type: audio/wav\r\n"
        f"Content-Length: {len(audio)}\r\n\r\n"
    ).encode()
    # One byte every half second: each gap is well inside the idle timeout, so only the
    # minimum rate (100 bytes/s here) ends them.
    slow = [asyncio.create_task(drip(server, head, audio, every_s=0.5)) for _ in range(3)]
    await asyncio.sleep(0.5)
    await healthy(server)
    for outcome in await asyncio.gather(*slow):
        assert outcome.closed, outcome
        assert BODY_TIMEOUT_S - 0.5 <= outcome.seconds <= BODY_TIMEOUT_S + 8, outcome
        status_line, _, rest = outcome.answer.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 408 Request Timeout", outcome
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"] == "REQUEST_TIMEOUT"
        assert outcome.sent < len(audio)
    async with httpx.AsyncClient(timeout=10) as http:
        whole = await http.post(
            f"{server.url}/ringotel/v1/activities/{activity}/recording",
            content=audio,
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "audio/wav"},
        )
    assert whole.status_code == 201, whole.text


async def test_a_body_the_server_refuses_unread_does_not_keep_its_connection(
    server: LiveServer,
) -> None:
    head = (
        b"POST /ringotel/v1/activities/00000000-0000-4000-8000-000000000001/recording HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\n"
    )
    outcome = await drip(server, head, b"x" * 100, every_s=0.5)  # no credentials: refused
    assert outcome.closed, outcome
    assert outcome.seconds <= BODY_TIMEOUT_S + 8, outcome
    assert outcome.answer.startswith(b"HTTP/1.1 403 ")
    assert b"connection: close" in outcome.answer.lower()


def test_timeouts_have_sane_defaults_and_refuse_zero() -> None:
    from crm.settings import SettingsError, load_settings

    defaults = load_settings()
    assert defaults.http_header_timeout_s == 10
    assert defaults.http_body_timeout_s == 30
    assert defaults.http_idle_timeout_s == 5
    assert defaults.http_body_min_rate == 1024
    for name in ("http_header_timeout_s", "http_body_timeout_s", "http_idle_timeout_s"):
        with pytest.raises(SettingsError, match=f"CRM_{name.upper()}"):
            load_settings(**{name: 0})
