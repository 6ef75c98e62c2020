"""The recording routes: UploadRecording (a hook) and the download (for people and players).

Both are hand-written streaming handlers (`facade.recordings`); the table holds
their description, and the app refuses to start when a handler's path or method
differs from it.
"""

from __future__ import annotations

from facade import lenient
from facade.recordings import download_recording, upload_recording
from facade.ringotel.activities import ACTIVITY_ID, ANSWER
from facade.ringotel.activities import PATH as ACTIVITIES
from facade.ringotel.hooks import Hook, Input

PATH = ACTIVITIES + "/{activity_id}/recording"

UPLOAD_RECORDING = Hook(
    name="UploadRecording",
    method="POST",
    path=PATH,
    summary="Attach the call's recording (a multipart part named `file`); 201.",
    tag="activities",
    inputs=(
        ACTIVITY_ID,
        Input("file", lenient.text, "The recording's audio file.", variable="recording"),
    ),
    content_type="multipart/form-data",
    outputs=ANSWER,
    status=201,
    handler=upload_recording,
)

DOWNLOAD_RECORDING = Hook(
    name="DownloadRecording",
    method="GET",
    path=PATH,
    summary="The call's recording, with byte ranges (206) for audio players.",
    tag="activities",
    inputs=(ACTIVITY_ID,),
    handler=download_recording,
    published=False,
)
