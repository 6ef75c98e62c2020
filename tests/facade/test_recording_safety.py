"""Recordings cannot be turned into pages: polyglot uploads are refused, and downloads are
served with nosniff and a sandboxing CSP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from crm.domain.audio import MARKUP_SCAN_BYTES, holds_markup
from crm.settings import Settings
from crm.tables import Activity, Recording
from facade.ringotel.recordings import RECORDING_POLICY
from tests import audio_samples

PAGES = [
    b"<html><body><script>alert(document.cookie)</script></body></html>",
    b"<!DOCTYPE html><p>hi",
    b"<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    b"<svg/onload=alert(1)>",
    b"<img src=x onerror=alert(1)>",
    b"<?xml version='1.0'?><x:script xmlns:x='http://www.w3.org/1999/xhtml'>",
]


async def new_activity() -> Activity:
    activity = Activity(call_id="call-1", direction="inbound", status="completed")
    await activity.save()
    return activity


def url(activity: Activity) -> str:
    return f"/ringotel/v1/activities/{activity.id}/recording"


def files_in(settings: Settings) -> list[str]:
    root = settings.recordings_dir
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("make", list(audio_samples.ALL_FORMATS.values()))
@pytest.mark.parametrize("page", PAGES)
async def test_audio_header_followed_by_markup_is_refused_and_stores_nothing(
    client: httpx.AsyncClient,
    settings: Settings,
    make: Callable[[], bytes],
    page: bytes,
) -> None:
    activity = await new_activity()
    audio = make()
    polyglot = audio[:200] + page + audio[200:]
    for response in (
        await client.post(url(activity), content=polyglot, headers={"Content-Type": "audio/wav"}),
        await client.post(url(activity), files={"file": ("call.wav", polyglot, "audio/wav")}),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "VALIDATION"
        assert response.json()["field"] == "file"
        assert "markup" in response.json()["message"]
    assert await Recording.count() == 0
    assert files_in(settings) == []


async def test_markup_late_in_the_scanned_head_of_a_streamed_upload_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    activity = await new_activity()
    head = audio_samples.wav(MARKUP_SCAN_BYTES)[: MARKUP_SCAN_BYTES - 100]  # header, silence

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        yield b"<script>alert(1)</script>"
        for _ in range(50):
            yield bytes(10_000)

    response = await client.post(
        url(activity), content=chunks(), headers={"Content-Type": "audio/wav"}
    )
    assert response.status_code == 422
    assert "markup" in response.json()["message"]
    assert await Recording.count() == 0
    assert files_in(settings) == []


def test_random_audio_payloads_are_not_taken_for_markup() -> None:
    rng = random.Random(20261201)
    for _ in range(2000):
        payload = rng.randbytes(MARKUP_SCAN_BYTES)
        assert not holds_markup(audio_samples.mp3()[:4] + payload)


async def test_download_is_served_with_nosniff_and_a_sandboxing_csp(
    client: httpx.AsyncClient,
) -> None:
    activity = await new_activity()
    stored = await client.post(
        url(activity), content=audio_samples.wav(), headers={"Content-Type": "audio/wav"}
    )
    assert stored.status_code == 201
    etag = (await client.get(url(activity))).headers["etag"]
    for response in (
        await client.get(url(activity)),
        await client.get(url(activity), headers={"Range": "bytes=0-9"}),
        await client.get(url(activity), headers={"If-None-Match": etag}),
        await client.get(url(activity), headers={"Range": "bytes=999999-"}),
    ):
        assert response.status_code in (200, 206, 304, 416)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == RECORDING_POLICY
    assert RECORDING_POLICY == "sandbox; default-src 'none'"
