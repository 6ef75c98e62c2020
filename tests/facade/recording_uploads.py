"""What the recording tests share: a call to attach a recording to, its recording route, a raw
upload, and what the recordings folder holds afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterable
from pathlib import Path

import httpx

from crm.settings import Settings
from crm.tables import Activity, Recording


async def new_activity(call_id: str = "call-1") -> Activity:
    """A completed inbound call, written straight to the table."""
    activity = Activity(call_id=call_id, direction="inbound", status="completed")
    await activity.save()
    return activity


def recording_url(activity: Activity | str) -> str:
    """The recording route of `activity` (a row, or an id that may name none)."""
    activity_id = activity.id if isinstance(activity, Activity) else activity
    return f"/ringotel/v1/activities/{activity_id}/recording"


async def upload_raw(
    client: httpx.AsyncClient,
    activity: Activity | str,
    body: bytes | AsyncIterable[bytes],
    content_type: str = "audio/wav",
) -> httpx.Response:
    """`body` as the whole request body, whole or streamed in parts."""
    headers = {"Content-Type": content_type}
    return await client.post(recording_url(activity), content=body, headers=headers)


def stored_files(settings: Settings) -> list[Path]:
    """Every file under the recordings folder, temporary ones included."""
    root = settings.recordings_dir
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def assert_nothing_stored(settings: Settings) -> None:
    """A refused or failed upload left no recording row and no file, not even a temporary one."""
    recordings = await Recording.count()
    assert recordings == 0, f"{recordings} recording rows"
    files = stored_files(settings)
    assert files == [], files
