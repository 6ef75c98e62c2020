"""Recordings over HTTP: streamed uploads (multipart and raw), content sniffing, limits,
failures that leave nothing behind, atomic replacement, and ranged downloads."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from crm.domain.services import Services
from crm.settings import Settings
from crm.tables import Activity, Recording
from facade.app import create_app
from tests import audio_samples
from tests.conftest import full_access_key
from tests.facade.recording_uploads import (
    STORES,
    assert_nothing_stored,
    new_activity,
    recording_url,
    settings_in,
    stored,
    upload_raw,
)
from tests.s3_server import S3Server


@pytest.fixture(params=STORES)
async def settings(request: pytest.FixtureRequest, tmp_path: Path, s3_server: S3Server) -> Settings:
    """Every test here runs once with the recordings in a folder and once in a bucket."""
    return await settings_in(request.param, tmp_path, s3_server)


async def upload_form(
    client: httpx.AsyncClient, activity: Activity, body: bytes, name: str = "file"
) -> httpx.Response:
    return await client.post(
        recording_url(activity), files={name: ("call.bin", body, "audio/x-unknown")}
    )


async def test_raw_upload_stores_the_file_with_its_hash_and_size(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    body = audio_samples.wav(10_000)
    response = await upload_raw(client, activity, body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["activity_id"] == str(activity.id)
    assert data["sha256"] == hashlib.sha256(body).hexdigest()
    assert data["size"] == len(body)
    assert data["content_type"] == "audio/wav"
    assert data["download_url"] == f"http://crm.test{recording_url(activity)}"
    row = await Recording.objects().where(Recording.activity == activity.id).first()
    assert row is not None
    assert await stored(settings) == {row.storage_key: body}


async def test_multipart_upload_reads_the_file_part(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    body = audio_samples.wav(70_000)
    response = await client.post(
        recording_url(activity),
        data={"note": "before the file"},
        files={"file": ("call.wav", body, "audio/wav")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(body).hexdigest()
    assert list((await stored(settings)).values()) == [body]


@pytest.mark.parametrize(("expected_type", "make"), sorted(audio_samples.ALL_FORMATS.items()))
async def test_every_accepted_format_is_told_by_its_content(
    client: httpx.AsyncClient, expected_type: str, make: Any
) -> None:
    activity = await new_activity()
    response = await upload_form(client, activity, make())  # declared type says nothing
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == expected_type


async def test_mp3_with_an_id3_tag_is_accepted(client: httpx.AsyncClient) -> None:
    activity = await new_activity()
    response = await upload_raw(client, activity, audio_samples.mp3_with_id3(), "audio/mpeg")
    assert response.json()["content_type"] == "audio/mpeg"


async def test_declared_audio_type_does_not_make_other_content_audio(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    for body in (b"<html>" + bytes(100), b"\x89PNG\r\n\x1a\n" + bytes(100), b"short"):
        response = await upload_raw(client, activity, body, "audio/wav")
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "file"
    await assert_nothing_stored(settings)


async def test_empty_upload_leaves_no_file_and_no_row(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    for response in (
        await upload_raw(client, activity, b""),
        await upload_form(client, activity, b""),
    ):
        assert response.status_code == 422
        assert response.json() == {
            "error": "VALIDATION",
            "message": "the file is empty",
            "code": "VALIDATION",
            "field": "file",
        }
    await assert_nothing_stored(settings)


async def test_truncated_wav_leaves_no_file_and_no_row(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    body = audio_samples.wav(1000, declared_data_bytes=5000)
    response = await upload_raw(client, activity, body)
    assert response.status_code == 422
    assert "truncated" in response.json()["message"]
    await assert_nothing_stored(settings)


async def test_multipart_body_cut_before_the_file_ends_leaves_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    head = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n'
        b"Content-Type: audio/mpeg\r\n\r\n"
    )
    response = await client.post(
        recording_url(activity),
        content=head + audio_samples.mp3(),  # no closing boundary
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    await assert_nothing_stored(settings)


async def test_form_without_a_file_part_names_the_field(client: httpx.AsyncClient) -> None:
    activity = await new_activity()
    response = await upload_form(client, activity, audio_samples.flac(), name="recording")
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert "no part named 'file'" in response.json()["message"]


async def test_upload_of_another_content_type_is_refused(client: httpx.AsyncClient) -> None:
    activity = await new_activity()
    response = await upload_raw(client, activity, audio_samples.wav(), "application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "file"


async def test_upload_for_an_unknown_activity_is_not_found_and_stores_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for unknown in ("00000000-0000-0000-0000-000000000000", "nope"):
        response = await upload_raw(client, unknown, audio_samples.wav())
        assert response.status_code == 404
    assert await stored(settings) == {}


@pytest.fixture
async def small_limit_client(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """A client of an app that accepts recordings of at most 1000 bytes."""
    settings = settings.model_copy(update={"recording_max_bytes": 1000})
    app: Any = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crm.test") as c,
    ):
        c.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        yield c, settings


async def test_too_large_upload_is_413_and_leaves_nothing(
    small_limit_client: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = small_limit_client
    activity = await new_activity()
    too_big = audio_samples.wav(2000)
    announced = await upload_raw(client, activity, too_big)

    async def unannounced() -> AsyncIterator[bytes]:
        for start in range(0, len(too_big), 300):
            yield too_big[start : start + 300]

    streamed = await upload_raw(client, activity, unannounced())
    in_form = await upload_form(client, activity, too_big)
    for response in (announced, streamed, in_form):
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "TOO_LARGE"
        assert response.json()["field"] == "file"
    await assert_nothing_stored(settings)
    fits = await upload_raw(client, activity, audio_samples.wav(900))
    assert fits.status_code == 201


async def test_client_that_disconnects_mid_upload_leaves_nothing(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    activity = await new_activity()
    body = audio_samples.wav(100_000)
    events: list[dict[str, Any]] = [
        {"type": "http.request", "body": body[:30_000], "more_body": True},
        {"type": "http.request", "body": body[30_000:60_000], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return events.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": recording_url(activity),
        "raw_path": recording_url(activity).encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"crm.test"),
            (b"content-type", b"audio/wav"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("crm.test", 80),
        "state": {},
    }
    asgi_app: Any = app
    await asgi_app(scope, receive, send)
    assert sent[0]["status"] != 201
    await assert_nothing_stored(settings)


async def test_source_stream_that_breaks_mid_way_leaves_nothing(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    activity = await new_activity()
    services: Services = app.state.services
    body = audio_samples.wav(100_000)

    async def breaking() -> AsyncIterator[bytes]:
        yield body[:40_000]
        yield body[40_000:80_000]
        raise ConnectionResetError("the sender went away")

    with pytest.raises(ConnectionResetError):
        await services.recordings.attach(activity.id, breaking())
    await assert_nothing_stored(settings)


async def test_reupload_replaces_the_recording_and_removes_the_old_file_after(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    first = audio_samples.wav(1000)
    second = audio_samples.flac()
    assert (await upload_raw(client, activity, first)).status_code == 201
    old = await Recording.objects().where(Recording.activity == activity.id).first()
    assert old is not None

    # A failed re-upload changes nothing: the old recording stays whole.
    assert (await upload_raw(client, activity, b"not audio at all" * 10)).status_code == 422
    assert list((await stored(settings)).values()) == [first]

    response = await upload_raw(client, activity, second, "audio/flac")
    assert response.status_code == 201
    rows = await Recording.objects().where(Recording.activity == activity.id)
    assert len(rows) == 1
    assert rows[0].sha256 == hashlib.sha256(second).hexdigest()
    assert rows[0].storage_key != old.storage_key
    assert list((await stored(settings)).values()) == [second]
    download = await client.get(recording_url(activity))
    assert download.content == second
    assert download.headers["content-type"] == "audio/flac"


async def test_download_answers_type_length_ranges_and_etag(client: httpx.AsyncClient) -> None:
    activity = await new_activity()
    body = audio_samples.wav(5000)
    await upload_raw(client, activity, body)
    etag = f'"{hashlib.sha256(body).hexdigest()}"'

    full = await client.get(recording_url(activity))
    assert full.status_code == 200
    assert full.content == body
    assert full.headers["content-type"] == "audio/wav"
    assert full.headers["content-length"] == str(len(body))
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["etag"] == etag

    size = len(body)
    cases = [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, size - 1),
        ("bytes=-16", size - 16, size - 1),
        (f"bytes=10-{size + 500}", 10, size - 1),
    ]
    for header, start, end in cases:
        part = await client.get(recording_url(activity), headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == body[start : end + 1], header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.headers["content-length"] == str(end - start + 1)
        assert part.headers["etag"] == etag

    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0", "bytes=9-3"):
        unsatisfiable = await client.get(recording_url(activity), headers={"Range": header})
        assert unsatisfiable.status_code == 416, header
        assert unsatisfiable.headers["content-range"] == f"bytes */{size}"

    several = await client.get(recording_url(activity), headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200
    assert several.content == body

    not_modified = await client.get(recording_url(activity), headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    other_version = await client.get(
        recording_url(activity), headers={"Range": "bytes=0-9", "If-Range": '"stale"'}
    )
    assert other_version.status_code == 200
    assert other_version.content == body


async def test_download_of_a_missing_recording_is_not_found(client: httpx.AsyncClient) -> None:
    activity = await new_activity()
    for target in (activity, "00000000-0000-0000-0000-000000000000", "nope"):
        response = await client.get(recording_url(target))
        assert response.status_code == 404
        assert response.json()["error"] == "NOT_FOUND"


async def test_concurrent_uploads_for_one_call_leave_one_recording_and_one_file(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    bodies = [audio_samples.wav(1000 + i) for i in range(8)]
    responses = await asyncio.gather(*(upload_raw(client, activity, body) for body in bodies))
    assert all(response.status_code == 201 for response in responses)
    rows = await Recording.objects().where(Recording.activity == activity.id)
    assert len(rows) == 1
    by_hash = {hashlib.sha256(body).hexdigest(): body for body in bodies}
    assert await stored(settings) == {rows[0].storage_key: by_hash[rows[0].sha256]}


async def test_a_crm_read_credential_downloads_a_recording_but_cannot_upload_one(
    app: Litestar, anonymous: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    activity = await new_activity()
    assert (await upload_raw(client, activity, audio_samples.wav())).status_code in (200, 201)
    _, key = await app.state.services.credentials.create_api_key("reader", ["crm:read"])
    reader = {"Authorization": f"Bearer {key}"}
    whole = await anonymous.get(recording_url(activity), headers=reader)
    assert whole.status_code == 200
    assert whole.content == audio_samples.wav()
    part = await anonymous.get(recording_url(activity), headers=reader | {"Range": "bytes=4-7"})
    assert part.status_code == 206
    assert part.content == audio_samples.wav()[4:8]
    refused = await anonymous.post(
        recording_url(activity),
        content=audio_samples.wav(),
        headers=reader | {"Content-Type": "audio/wav"},
    )
    assert refused.status_code == 403
