"""What the recording tests share: a call to attach a recording to, its recording route, a raw
upload, the settings of each recording store (a folder, a bucket of the test S3 server), and
what the store holds afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable
from pathlib import Path

import httpx

from crm.settings import Settings
from crm.tables import Activity, Recording
from tests.conftest import make_settings
from tests.s3_server import S3Server, s3_client


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


STORES = ("folder", "bucket")
"""The recording stores the tests run against: `CRM_RECORDINGS_URL` as `file:` and `s3:`."""


async def settings_in(store: str, tmp_path: Path, s3_server: S3Server) -> Settings:
    """Test settings whose recordings are kept in `store` (a prefix of its own in the bucket)."""
    if store == "folder":
        return make_settings(tmp_path)
    return make_settings(
        tmp_path,
        recordings_url=f"s3://{s3_server.bucket}/{uuid.uuid4().hex}",
        s3_endpoint_url=s3_server.endpoint_url,
    )


async def stored(settings: Settings) -> dict[str, bytes]:
    """What the store holds, by key: every recording, and every temporary file or unfinished
    multipart upload too (under `.incoming/` and `pending:` keys)."""
    place = settings.recordings_place
    if isinstance(place, Path):
        root = place.resolve()
        if not root.exists():
            return {}
        files = sorted(path for path in root.rglob("*") if path.is_file())
        return {str(path.relative_to(root)): path.read_bytes() for path in files}
    found: dict[str, bytes] = {}
    async with s3_client(place.endpoint_url) as s3:
        under = place.prefix + "/"
        listed = await s3.list_objects_v2(Bucket=place.bucket, Prefix=under)
        for item in listed.get("Contents", []):
            answer = await s3.get_object(Bucket=place.bucket, Key=item["Key"])
            async with answer["Body"] as body:
                found[item["Key"].removeprefix(under)] = await body.read()
        uploads = await s3.list_multipart_uploads(Bucket=place.bucket, Prefix=under)
        for upload in uploads.get("Uploads", []):
            found[f"pending:{upload['Key']}"] = b""
    return found


async def assert_nothing_stored(settings: Settings) -> None:
    """A refused or failed upload left no recording row and nothing in the store, not even a
    temporary file or an unfinished multipart upload."""
    recordings = await Recording.count()
    assert recordings == 0, f"{recordings} recording rows"
    left = await stored(settings)
    assert left == {}, list(left)
