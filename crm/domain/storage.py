"""Where recording bytes live: one small interface and its filesystem implementation.

A file is written under a temporary name first and moved to its key only when
it is complete, so a reader never sees half a file and a failed upload leaves
nothing behind but a temporary file that is removed at once.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol

READ_CHUNK = 256 * 1024

_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class InvalidKey(ValueError):
    """A storage key that could name a place outside the storage."""


class PendingFile(Protocol):
    """A file being written under a temporary name."""

    async def write(self, chunk: bytes) -> None: ...

    async def finish(self) -> None:
        """Flush the bytes to disk; the file is complete but not yet in place."""


class RecordingStorage(Protocol):
    """Bytes of recordings, by key; keys are chosen by the CRM, never by a client."""

    async def begin(self) -> PendingFile: ...

    async def place(self, pending: PendingFile, key: str) -> None:
        """Move a finished file to `key` in one step (replacing nothing: keys are new)."""

    def discard(self, pending: PendingFile) -> None:
        """Remove a file that will not be placed; safe to call more than once."""

    async def delete(self, key: str) -> None:
        """Remove the file at `key`; a missing one is fine."""

    def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes `start` to `end` inclusive, in chunks."""


class _PendingOnDisk:
    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.handle = handle

    async def write(self, chunk: bytes) -> None:
        await asyncio.to_thread(self.handle.write, chunk)

    async def finish(self) -> None:
        await asyncio.to_thread(self._flush_and_close)

    def _flush_and_close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


class FilesystemStorage:
    """Recordings as files under one folder; temporary files in its `.incoming` subfolder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.incoming = self.root / ".incoming"

    def path_for(self, key: str) -> Path:
        """The file of `key`; a key that is not plain names joined by `/` is refused."""
        parts = key.split("/")
        if not parts or not all(_KEY_PART.match(part) for part in parts):
            raise InvalidKey(f"not a storage key: {key!r}")
        path = (self.root / Path(*parts)).resolve()
        if not path.is_relative_to(self.root) or path.is_relative_to(self.incoming):
            raise InvalidKey(f"not a storage key: {key!r}")
        return path

    async def begin(self) -> PendingFile:
        return await asyncio.to_thread(self._begin)

    def _begin(self) -> _PendingOnDisk:
        self.incoming.mkdir(parents=True, exist_ok=True)
        path = self.incoming / f"{uuid.uuid4().hex}.part"
        return _PendingOnDisk(path, path.open("xb"))

    async def place(self, pending: PendingFile, key: str) -> None:
        assert isinstance(pending, _PendingOnDisk)
        target = self.path_for(key)
        await asyncio.to_thread(self._place, pending.path, target)

    @staticmethod
    def _place(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)  # atomic on one filesystem

    def discard(self, pending: PendingFile) -> None:
        assert isinstance(pending, _PendingOnDisk)
        pending.handle.close()
        pending.path.unlink(missing_ok=True)

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
