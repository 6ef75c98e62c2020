"""Where recording bytes live: one small interface and its filesystem implementation.

An upload is written under its key but out of sight (a temporary file, or an
object store's multipart upload) and put in place in one step only when it is
complete, so a reader never sees half a recording and a failed upload leaves
nothing behind. The bucket implementation is `crm.bucket_storage`.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

READ_CHUNK = 256 * 1024

_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True, slots=True)
class BucketLocation:
    """Where recordings are kept in object storage: a bucket, a key prefix, the endpoint."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    """Any S3-compatible store (SeaweedFS, MinIO, Ceph, ...); `None` means AWS S3 itself."""


class InvalidKey(ValueError):
    """A storage key that could name a place outside the storage."""


def check_key(key: str) -> list[str]:
    """The parts of `key`; a key that is not plain names joined by `/` is refused."""
    parts = key.split("/")
    if not all(_KEY_PART.match(part) for part in parts):
        raise InvalidKey(f"not a storage key: {key!r}")
    return parts


class PendingUpload(Protocol):
    """A recording being written under its key, not yet visible there."""

    key: str

    async def write(self, chunk: bytes) -> None: ...

    async def finish(self) -> None:
        """Every byte is written and durable; the recording is not yet in place."""

    async def place(self) -> None:
        """Make the finished recording visible at its key, in one step."""

    async def discard(self) -> None:
        """Drop an upload that will not be placed; safe to call more than once, and after
        `place` (then it does nothing)."""


class RecordingStorage(Protocol):
    """Bytes of recordings, by key; keys are chosen by the CRM, never by a client."""

    async def open(self) -> None:
        """Connect (the app's start-up); a store that cannot be used raises."""

    async def close(self) -> None: ...

    async def check(self) -> None:
        """Raise when the store cannot be reached now (for `/ready`)."""

    async def begin(self, key: str, content_type: str) -> PendingUpload:
        """Start writing the recording that will be `key` (a new key: nothing is replaced)."""

    async def delete(self, key: str) -> None:
        """Remove the recording at `key`; a missing one is fine."""

    def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes `start` to `end` inclusive, in chunks."""


class _PendingOnDisk:
    def __init__(self, key: str, path: Path, target: Path, handle: BinaryIO) -> None:
        self.key = key
        self.path = path
        self.target = target
        self.handle = handle

    async def write(self, chunk: bytes) -> None:
        await asyncio.to_thread(self.handle.write, chunk)

    async def finish(self) -> None:
        await asyncio.to_thread(self._flush_and_close)

    def _flush_and_close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()

    async def place(self) -> None:
        await asyncio.to_thread(self._place)

    def _place(self) -> None:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, self.target)  # atomic on one filesystem

    async def discard(self) -> None:
        self.handle.close()
        await asyncio.to_thread(self.path.unlink, missing_ok=True)


class FilesystemStorage:
    """Recordings as files under one folder; temporary files in its `.incoming` subfolder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.incoming = self.root / ".incoming"

    def path_for(self, key: str) -> Path:
        """The file of `key`; a key that is not plain names joined by `/` is refused."""
        path = (self.root / Path(*check_key(key))).resolve()
        if not path.is_relative_to(self.root) or path.is_relative_to(self.incoming):
            raise InvalidKey(f"not a storage key: {key!r}")
        return path

    async def open(self) -> None:
        return None  # the folder is made with the first recording

    async def close(self) -> None:
        return None

    async def check(self) -> None:
        return None  # a local folder is there as long as the process is

    async def begin(self, key: str, content_type: str) -> PendingUpload:
        target = self.path_for(key)
        return await asyncio.to_thread(self._begin, key, target)

    def _begin(self, key: str, target: Path) -> _PendingOnDisk:
        self.incoming.mkdir(parents=True, exist_ok=True)
        path = self.incoming / f"{uuid.uuid4().hex}.part"
        return _PendingOnDisk(key, path, target, path.open("xb"))

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(READ_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()
