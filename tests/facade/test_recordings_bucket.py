"""What only a bucket shows: recordings larger than one multipart part, parts that a refused
upload had already sent, a store that goes away (`/ready`, start-up), and hostile keys."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from crm.bucket_storage import PART_BYTES, BucketStorage
from crm.domain.storage import BucketLocation, InvalidKey
from crm.settings import Settings
from facade.app import create_app
from tests import audio_samples
from tests.conftest import full_access_key, make_settings
from tests.domain.test_storage import HOSTILE_KEYS
from tests.facade.recording_uploads import (
    assert_nothing_stored,
    new_activity,
    recording_url,
    settings_in,
    stored,
    upload_raw,
)
from tests.live_server import live_server
from tests.s3_server import S3Server, aws_credentials, s3_client

BIG = 2 * PART_BYTES + 12345
"""A recording of three parts, the last a short one."""


@pytest.fixture
async def settings(tmp_path: Path, s3_server: S3Server) -> Settings:
    return await settings_in("bucket", tmp_path, s3_server)


def big_wav(size: int) -> bytes:
    samples = bytes(range(256)) * ((size - 44) // 256 + 1)
    return audio_samples.wav_header(size - 44) + samples[: size - 44]


def in_pieces(body: bytes, piece: int = 1 << 20) -> Iterator[bytes]:
    for start in range(0, len(body), piece):
        yield body[start : start + piece]


async def streamed(body: bytes) -> AsyncIterator[bytes]:
    for piece in in_pieces(body):
        yield piece


async def test_a_recording_of_several_parts_is_stored_whole_and_served_in_ranges(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    body = big_wav(BIG)
    response = await upload_raw(client, activity, streamed(body))
    assert response.status_code == 201, response.text
    assert response.json()["size"] == BIG
    assert response.json()["sha256"] == hashlib.sha256(body).hexdigest()
    assert list((await stored(settings)).values()) == [body]

    across = f"bytes={PART_BYTES - 10}-{PART_BYTES + 9}"  # the seam of parts 1 and 2
    ranged = await client.get(recording_url(activity), headers={"Range": across})
    assert ranged.status_code == 206
    assert ranged.content == body[PART_BYTES - 10 : PART_BYTES + 10]
    assert ranged.headers["content-range"] == f"bytes {PART_BYTES - 10}-{PART_BYTES + 9}/{BIG}"
    tail = await client.get(recording_url(activity), headers={"Range": "bytes=-100"})
    assert tail.content == body[-100:]
    whole = await client.get(recording_url(activity))
    assert whole.status_code == 200
    assert hashlib.sha256(whole.content).hexdigest() == response.json()["sha256"]


async def test_an_upload_refused_after_parts_were_sent_leaves_no_parts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    # Declares more than it sends: refused at the end, when two parts are in the bucket.
    cut_short = audio_samples.wav_header(BIG) + bytes(2 * PART_BYTES + 100)
    response = await client.post(
        recording_url(activity),
        content=streamed(cut_short),
        headers={"Content-Type": "audio/wav", "Content-Length": str(BIG + 44)},
    )
    assert response.status_code in (400, 422), response.text
    await assert_nothing_stored(settings)


async def test_an_upload_over_the_limit_after_parts_were_sent_leaves_no_parts(
    tmp_path: Path, s3_server: S3Server
) -> None:
    settings = (await settings_in("bucket", tmp_path, s3_server)).model_copy(
        update={"recording_max_bytes": PART_BYTES + 1000}
    )
    app: Any = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crm.test") as c,
    ):
        c.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        activity = await new_activity()
        response = await upload_raw(c, activity, streamed(big_wav(BIG)))
        assert response.status_code == 413, response.text
        await assert_nothing_stored(settings)


async def test_ready_is_503_naming_the_store_while_the_bucket_is_gone(
    tmp_path: Path, s3_server: S3Server
) -> None:
    bucket = await s3_server.new_bucket()
    settings = make_settings(
        tmp_path, recordings_url=f"s3://{bucket}/r", s3_endpoint_url=s3_server.endpoint_url
    )
    app: Any = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crm.test") as c,
    ):
        assert (await c.get("/ready")).json() == {"status": "ok"}
        async with s3_client(s3_server.endpoint_url) as s3:
            await s3.delete_bucket(Bucket=bucket)
        gone = await c.get("/ready")
        assert gone.status_code == 503
        assert gone.json()["status"] == "unavailable"
        assert gone.json()["reason"].startswith("recordings: ")
        async with s3_client(s3_server.endpoint_url) as s3:
            await s3.create_bucket(Bucket=bucket)
        assert (await c.get("/ready")).status_code == 200  # back without a restart


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


@pytest.mark.parametrize("problem", ["no such bucket", "no store there"])
async def test_start_up_fails_fast_on_a_store_that_cannot_be_used(
    tmp_path: Path, s3_server: S3Server, problem: str
) -> None:
    endpoint = s3_server.endpoint_url if problem == "no such bucket" else "http://127.0.0.1:1"
    settings = make_settings(
        tmp_path, recordings_url="s3://crm-no-such-bucket/r", s3_endpoint_url=endpoint
    )
    app: Any = create_app(settings)
    with pytest.raises(BaseException) as caught:  # noqa: PT011 (a group or the error itself)
        # Time for botocore's retries of a refused connection, however loaded the machine.
        async with LifespanManager(app, startup_timeout=120):
            pass
    messages = [str(leaf) for leaf in _leaves(caught.value)]
    assert any("the recording store cannot be used now" in text for text in messages), messages


@pytest.mark.parametrize("key", HOSTILE_KEYS)
async def test_a_hostile_key_names_no_object_outside_the_prefix(key: str) -> None:
    storage = BucketStorage(BucketLocation("crm-tests", "recordings"))
    with pytest.raises(InvalidKey):
        storage.object_key(key)


async def test_a_recording_the_bucket_lost_is_a_503_not_a_broken_download(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    assert (await upload_raw(client, activity, audio_samples.wav(5000))).status_code == 201
    place = settings.recordings_place
    assert isinstance(place, BucketLocation)
    async with s3_client(settings.s3_endpoint_url) as s3:
        for key in await stored(settings):
            await s3.delete_object(Bucket=place.bucket, Key=f"{place.prefix}/{key}")
    response = await client.get(recording_url(activity), headers={"Range": "bytes=0-99"})
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "UNAVAILABLE"
    assert "recording store" in response.json()["message"]


async def test_a_client_that_disconnects_mid_body_leaves_no_object_and_no_parts(
    tmp_path: Path, s3_server: S3Server, settings: Settings
) -> None:
    """A real `crm serve` and a real socket: the client sends the headers and two parts'
    worth of a larger body, and goes away while the upload is in the bucket."""
    activity = await new_activity()
    env = {**aws_credentials(), "CRM_S3_ENDPOINT_URL": s3_server.endpoint_url}
    with live_server(
        tmp_path / "server", CRM_RECORDINGS_URL=settings.recordings_url, **env
    ) as server:
        key = server.api_key("ringotel")
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        path = recording_url(activity)
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: audio/wav\r\nContent-Length: {BIG}\r\n\r\n".encode()
        )
        body = big_wav(BIG)
        for piece in in_pieces(body[: 2 * PART_BYTES + 1000]):
            writer.write(piece)
            await writer.drain()
        for _ in range(600):  # until the server has begun the multipart upload
            if any(name.startswith("pending:") for name in await stored(settings)):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail(f"no multipart upload was begun: {server.log()[-2000:]}")
        writer.transport.abort()  # a reset, not a polite end of the body
        for _ in range(600):  # until the server has noticed and aborted it
            if not await stored(settings):
                break
            await asyncio.sleep(0.05)
        await assert_nothing_stored(settings)
        async with httpx.AsyncClient(base_url=server.url) as http:  # it goes on serving
            assert (await http.get("/ready")).status_code == 200
