"""A call's recording over HTTP, streamed both ways: UploadRecording (a hook) and the
download (for people and audio players, not Ringotel).

Upload: `multipart/form-data` with the file in part `file`, or the raw audio as
the body. The request is read chunk by chunk straight into the recording
service; it is never held in memory whole.
Download: byte ranges (206/416), `ETag` from the sha256, `If-None-Match` (304), `If-Range`;
the bytes pass through this server whichever store holds them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Stream
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_206_PARTIAL_CONTENT,
    HTTP_304_NOT_MODIFIED,
    HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
)

from crm.domain.errors import ValidationFailed
from crm.domain.services import Services
from crm.metrics import RECORDING_BYTES
from crm.tables import Recording
from facade.multipart_file import file_part
from facade.openapi import UploadOperation, error_responses, no_content
from facade.ringotel.activities import PATH as ACTIVITIES
from facade.ringotel.activities import ActivityIdParameter
from facade.ringotel.hooks import Fills, hook

RECORDING_URL = ACTIVITIES + "/{activity_id}/recording"
"""A call's recording, as the domain links it (`{activity_id}` filled in)."""
RECORDING_PATH = RECORDING_URL.replace("{activity_id}", "{activity_id:str}")
"""The same route, as Litestar declares it."""

RAW_TYPES = ("audio/", "video/webm", "video/mp4", "application/ogg", "application/octet-stream")
"""Declared types a raw-body upload may carry; the content itself decides what it is."""

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

RECORDING_POLICY = "sandbox; default-src 'none'"
"""A recording opened in a browser runs nothing and loads nothing, whatever it holds."""


class RecordingUpload(msgspec.Struct):
    """The multipart body of UploadRecording, as the integration JSON describes it."""

    file: Annotated[bytes, Fills("recording")]


class RecordingBody(msgspec.Struct):
    """A stored recording, as the upload answers it."""

    id: Annotated[str, Fills("activity_id")]
    activity_id: str
    recording_id: str
    content_type: str
    size: int
    sha256: str
    download_url: str


class Unsatisfiable(Exception):
    """A range that lies wholly outside the file."""


def recording_body(services: Services, activity_id: str, row: Recording) -> RecordingBody:
    """A stored recording as the upload answers it."""
    return RecordingBody(
        id=activity_id,
        activity_id=activity_id,
        recording_id=str(row.id),
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        download_url=services.recordings.download_url(activity_id),
    )


def _request_body(request: Request[Any, Any, Any]) -> tuple[AsyncIterator[bytes], int | None]:
    """The recording's bytes in the request, and the length announced for them (raw bodies)."""
    media_type, options = request.content_type
    if media_type == "multipart/form-data":
        boundary = options.get("boundary")
        if not boundary:
            raise ValidationFailed("a multipart body needs a boundary", field="file")
        return file_part(request.stream(), boundary), None
    if media_type.startswith(RAW_TYPES):
        return _non_empty(request.stream()), request.content_length
    raise ValidationFailed(
        f"send multipart/form-data with a part named 'file', or audio; not {media_type!r}",
        field="file",
    )


async def _non_empty(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in stream:
        if chunk:
            yield chunk


@post(
    RECORDING_PATH,
    tags=["activities"],
    operation_id="uploadRecording",
    summary="Attach the call's recording (multipart part `file`, or raw audio).",
    opt=hook("UploadRecording", body=RecordingUpload, content_type="multipart/form-data"),
    request_max_body_size=None,  # the recording service enforces CRM_RECORDING_MAX_BYTES
    status_code=HTTP_201_CREATED,
    operation_class=UploadOperation,
    responses={
        201: ResponseSpec(
            RecordingBody, description="The recording, stored.", generate_examples=False
        ),
        **error_responses(400, 403, 404, 413, 422, 429, 503),
    },
)
async def upload_recording(
    activity_id: ActivityIdParameter, request: Request[Any, Any, Any], services: Services
) -> RecordingBody:
    body, announced = _request_body(request)
    row = await services.recordings.attach(activity_id, body, expected_size=announced)
    RECORDING_BYTES.inc(row.size)
    return recording_body(services, activity_id, row)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, inclusive; `None` means the whole file.

    Several ranges, or a header we cannot read, are answered with the whole file
    (RFC 9110 lets a server ignore Range); a range past the end is `Unsatisfiable`.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise Unsatisfiable
    return start, end


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


async def _started(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` with the first one already read, so that a store that cannot be read is
    answered with an error status (503) before the 200 or 206 is sent."""
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = b""

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return rest()


@get(
    RECORDING_PATH,
    tags=["activities"],
    operation_id="downloadRecording",
    summary="The call's recording; supports single byte ranges and ETags.",
    responses={
        200: ResponseSpec(
            bytes,
            description="The whole recording, served as the audio format it is.",
            media_type="audio/*",
            generate_examples=False,
        ),
        206: ResponseSpec(
            bytes,
            description="The byte range asked for (`Content-Range`).",
            media_type="audio/*",
            generate_examples=False,
        ),
        304: no_content("The client's copy (`If-None-Match`) is current."),
        **error_responses(400, 403, 404, 416, 429, 503),
    },
)
async def download_recording(
    activity_id: ActivityIdParameter, request: Request[Any, Any, Any], services: Services
) -> Response[Any]:
    row = await services.recordings.for_activity(activity_id)
    etag = f'"{row.sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
        "Content-Security-Policy": RECORDING_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    size = int(row.size)
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        range_header = None  # the client holds another version: send the whole new one
    try:
        wanted = parse_range(range_header, size)
    except Unsatisfiable:
        return Response(
            b"",
            status_code=HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
            headers={**headers, "Content-Range": f"bytes */{size}"},
        )
    start, end = wanted if wanted is not None else (0, size - 1)
    status = HTTP_200_OK
    if wanted is not None:
        status = HTTP_206_PARTIAL_CONTENT
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    extension = row.storage_key.rsplit(".", 1)[-1]
    headers["Content-Disposition"] = f'inline; filename="recording-{row.activity}.{extension}"'
    return Stream(
        await _started(services.recordings.read(row, start, end)),
        status_code=status,
        media_type=row.content_type,
        headers=headers,
    )
