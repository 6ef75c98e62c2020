"""The recording store `CRM_RECORDINGS_URL` names: a local folder or an S3 bucket."""

from __future__ import annotations

from pathlib import Path

from crm.bucket_storage import BucketStorage
from crm.domain.storage import BucketLocation, FilesystemStorage, RecordingStorage


def recording_storage(place: Path | BucketLocation) -> RecordingStorage:
    """The store for `place` (`Settings.recordings_place`), not yet opened."""
    if isinstance(place, Path):
        return FilesystemStorage(place)
    return BucketStorage(place)
