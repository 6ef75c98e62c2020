"""Recordings cannot be turned into pages: polyglot uploads are refused, and downloads are
served with nosniff and a sandboxing CSP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from crm.domain.audio import MARKUP_SCAN_BYTES, holds_markup
from crm.settings import Settings
from facade.ringotel.recordings import RECORDING_POLICY
from tests import audio_samples
from tests.facade.recording_uploads import (
    STORES,
    assert_nothing_stored,
    new_activity,
    recording_url,
    settings_in,
    upload_raw,
)
from tests.s3_server import S3Server


@pytest.fixture(params=STORES)
async def settings(request: pytest.FixtureRequest, tmp_path: Path, s3_server: S3Server) -> Settings:
    """Every test here runs once with the recordings in a folder and once in a bucket."""
    return await settings_in(request.param, tmp_path, s3_server)


PAGES = [
    b"<html><body><script>alert(document.cookie)</script></body></html>",
    b"<!DOCTYPE html><p>hi",
    b"<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    b"<svg/onload=alert(1)>",
    b"<img src=x onerror=alert(1)>",
    b"<?xml version='1.0'?><x:script xmlns:x='http://www.w3.org/1999/xhtml'>",
]


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
        await upload_raw(client, activity, polyglot),
        await client.post(
            recording_url(activity), files={"file": ("call.wav", polyglot, "audio/wav")}
        ),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "VALIDATION"
        assert response.json()["field"] == "file"
        assert "markup" in response.json()["message"]
    await assert_nothing_stored(settings)


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

    response = await upload_raw(client, activity, chunks())
    assert response.status_code == 422
    assert "markup" in response.json()["message"]
    await assert_nothing_stored(settings)


def test_random_audio_payloads_are_not_taken_for_markup() -> None:
    rng = random.Random(20261201)
    for _ in range(2000):
        payload = rng.randbytes(MARKUP_SCAN_BYTES)
        assert not holds_markup(audio_samples.mp3()[:4] + payload)


async def test_download_is_served_with_nosniff_and_a_sandboxing_csp(
    client: httpx.AsyncClient,
) -> None:
    activity = await new_activity()
    stored = await upload_raw(client, activity, audio_samples.wav())
    assert stored.status_code == 201
    etag = (await client.get(recording_url(activity))).headers["etag"]
    for response in (
        await client.get(recording_url(activity)),
        await client.get(recording_url(activity), headers={"Range": "bytes=0-9"}),
        await client.get(recording_url(activity), headers={"If-None-Match": etag}),
        await client.get(recording_url(activity), headers={"Range": "bytes=999999-"}),
    ):
        assert response.status_code in (200, 206, 304, 416)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == RECORDING_POLICY
    assert RECORDING_POLICY == "sandbox; default-src 'none'"
