"""The body timeout counts only the app's wait for the client: a steady upload slower than
the timeout in total is accepted, a trickle is answered 408 and leaves nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crm.settings import Settings
from crm.tables import Recording
from tests import audio_samples
from tests.conftest import make_settings
from tests.facade.recording_uploads import new_activity, upload_raw

TIMEOUT_S = 1.0
MIN_RATE = 100


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, http_body_timeout_s=TIMEOUT_S, http_body_min_rate=MIN_RATE)


async def upload(client: httpx.AsyncClient, parts: AsyncIterator[bytes]) -> httpx.Response:
    return await upload_raw(client, await new_activity(), parts)


async def test_a_steady_upload_longer_than_the_timeout_in_total_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    audio = audio_samples.wav(400)

    async def steady() -> AsyncIterator[bytes]:
        for start in range(0, len(audio), 80):  # 80 bytes every 0.5 s: 160 bytes/s
            yield audio[start : start + 80]
            await asyncio.sleep(0.5)

    response = await upload(client, steady())
    assert response.status_code == 201, response.text
    assert await Recording.count() == 1


@pytest.mark.parametrize(("part", "every_s"), [(b"\x00", 0.3), (b"\x00" * 10, 1.5)])
async def test_a_trickling_or_stalled_upload_is_408_and_stores_nothing(
    client: httpx.AsyncClient, part: bytes, every_s: float
) -> None:
    audio = audio_samples.wav(4000)

    async def slow() -> AsyncIterator[bytes]:
        yield audio[:44]
        for _ in range(40):
            await asyncio.sleep(every_s)
            yield part

    response = await upload(client, slow())
    assert response.status_code == 408
    assert response.json()["error"] == "REQUEST_TIMEOUT"
    assert response.headers["connection"] == "close"
    assert await Recording.count() == 0
