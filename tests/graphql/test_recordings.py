"""Recordings through /graphql: `attachRecording` by the multipart upload spec, and
`Activity.recording` with its download URL."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from crm.tables import Activity, Recording
from tests import audio_samples
from tests.graphql_client import gql

ATTACH = """
mutation($activityId: ID!, $file: Upload!) {
  attachRecording(activityId: $activityId, file: $file) {
    id contentType size sha256 downloadUrl createdAt
  }
}
"""


async def attach(client: httpx.AsyncClient, activity_id: str, body: bytes) -> dict[str, Any]:
    """Post `ATTACH` as the GraphQL multipart request spec describes."""
    operations = {"query": ATTACH, "variables": {"activityId": activity_id, "file": None}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("call.mp3", body, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_attach_recording_stores_the_file_and_the_activity_shows_it(
    client: httpx.AsyncClient,
) -> None:
    activity = Activity(call_id="c1", direction="inbound", status="completed")
    await activity.save()
    body = audio_samples.mp3()
    result = await attach(client, str(activity.id), body)
    assert "errors" not in result, result
    recording = result["data"]["attachRecording"]
    assert recording["contentType"] == "audio/mpeg"
    assert recording["size"] == len(body)
    assert recording["sha256"] == hashlib.sha256(body).hexdigest()
    assert recording["downloadUrl"] == (
        f"http://crm.test/ringotel/v1/activities/{activity.id}/recording"
    )
    download = await client.get(f"/ringotel/v1/activities/{activity.id}/recording")
    assert download.content == body

    data = await gql(
        client,
        "query($id: ID!) { activity(id: $id) { recording { id sha256 } } }",
        {"id": str(activity.id)},
    )
    assert data["activity"]["recording"] == {"id": recording["id"], "sha256": recording["sha256"]}


async def test_activity_without_recording_shows_none(client: httpx.AsyncClient) -> None:
    activity = Activity(call_id="c1", direction="inbound", status="missed")
    await activity.save()
    data = await gql(
        client,
        "query($id: ID!) { activity(id: $id) { recording { id } } }",
        {"id": str(activity.id)},
    )
    assert data["activity"]["recording"] is None


async def test_attach_recording_refuses_non_audio_naming_the_file(
    client: httpx.AsyncClient,
) -> None:
    activity = Activity(call_id="c1", direction="inbound", status="completed")
    await activity.save()
    result = await attach(client, str(activity.id), b"%PDF-1.7" + bytes(100))
    assert result["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "file"}
    result = await attach(client, "00000000-0000-0000-0000-000000000000", audio_samples.mp3())
    assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "activityId"}
    assert await Recording.count() == 0
