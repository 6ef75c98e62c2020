"""Call recordings in GraphQL: the type and `attachRecording` (the multipart upload spec)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from crm.domain.services import Services
from crm.domain.validation import as_utc
from crm.graphql.context import Info
from crm.graphql.permissions import CanWrite
from crm.tables import Recording as RecordingRow

UPLOAD_CHUNK = 256 * 1024


@strawberry.type(name="Recording")
class RecordingType:
    """The audio of a call, stored by the CRM."""

    id: strawberry.ID
    content_type: str = strawberry.field(description="Told from the content, not the upload.")
    size: int = strawberry.field(description="Bytes.")
    sha256: str
    download_url: str = strawberry.field(description="GET it; byte ranges are supported.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: RecordingRow, services: Services) -> RecordingType:
        return cls(
            id=strawberry.ID(str(row.id)),
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            download_url=services.recordings.download_url(row.activity),
            created_at=as_utc(row.created_at),
        )


async def upload_chunks(upload: Any) -> AsyncIterator[bytes]:
    """Read an uploaded file in chunks, whether its `read` is async (Litestar) or not."""
    while True:
        chunk = upload.read(UPLOAD_CHUNK)
        if not isinstance(chunk, bytes):
            chunk = await chunk
        if not chunk:
            return
        yield chunk


@strawberry.type
class RecordingMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Attach a call's recording, replacing any earlier one.",
    )
    async def attach_recording(
        self, info: Info, activity_id: strawberry.ID, file: Upload
    ) -> RecordingType:
        services = info.context.services
        row = await services.recordings.attach(activity_id, upload_chunks(file))
        info.context.loaders.clear_all()
        return RecordingType.from_row(row, services)
