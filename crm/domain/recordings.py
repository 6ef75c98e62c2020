"""Call recordings the CRM owns: streamed in, checked, stored, replaced and served.

An upload is streamed to the recording store (out of sight until complete)
while its sha256 and size are computed, so memory stays flat whatever the size;
its first 4 KiB are checked before anything is stored. Only a complete, accepted
audio file gets a row: the row is written and the recording put in place in one
transaction; an empty, truncated, too large or broken upload leaves no file
and no row. A new upload for the same activity replaces the old one, whose
file is removed only after the new row is committed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from contextlib import suppress

from crm.domain.audio import (
    MARKUP_SCAN_BYTES,
    SNIFF_BYTES,
    AudioFormat,
    accepted_names,
    holds_markup,
    missing_bytes,
    sniff,
)
from crm.domain.config import DomainConfig
from crm.domain.errors import NotFound, TooLarge, Unavailable, ValidationFailed
from crm.domain.events import CallEventType, EventBus, InProcessBus, call_event
from crm.domain.storage import PendingUpload, RecordingStorage
from crm.domain.validation import now, parse_id
from crm.domain.webhooks import OutboundEvent, Outbox, WebhookEventType, recording_data
from crm.queries import activities, recordings
from crm.queries.rows import save
from crm.queries.transactions import transaction
from crm.tables import Recording


class RecordingService:
    """Attach a recording to a call and read it back."""

    def __init__(
        self,
        config: DomainConfig,
        storage: RecordingStorage,
        events: EventBus | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self._config = config
        self._storage = storage
        self._events: EventBus = events or InProcessBus()
        self._outbox = outbox or Outbox()

    @property
    def max_bytes(self) -> int:
        return self._config.recording_max_bytes

    def download_url(self, activity_id: uuid.UUID | str) -> str:
        """Where people and tools fetch a call's recording: the app serves it there."""
        return self._config.recording_url.format(activity_id=activity_id)

    async def for_activity(self, activity_id: str | uuid.UUID) -> Recording:
        """The recording of a call; NOT_FOUND when the call or its recording is unknown."""
        aid = parse_id(activity_id, entity="activity")
        row = await recordings.of_activity(aid)
        if row is None:
            raise NotFound(f"activity {activity_id} has no recording", field="id")
        return row

    async def by_activities(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Recording]:
        """Recordings keyed by their activity's id, for DataLoaders."""
        return await recordings.by_activities(ids)

    def read(self, recording: Recording, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes `start`..`end` (inclusive) of a recording, in chunks."""
        return self._storage.read(recording.storage_key, start, end)

    async def attach(
        self,
        activity_id: str | uuid.UUID,
        chunks: AsyncIterable[bytes],
        *,
        expected_size: int | None = None,
    ) -> Recording:
        """Stream `chunks` in as the call's recording, replacing any earlier one.

        `expected_size` is the length the sender announced; receiving fewer bytes
        means the upload was cut short. Any failure, the source's own included,
        leaves no file and no row.
        """
        aid = parse_id(activity_id, entity="activity")
        if not await activities.exists(aid):
            raise NotFound(f"no activity with id {activity_id}", field="activity_id")
        if expected_size is not None and expected_size > self.max_bytes:
            raise self._too_large()

        pending: PendingUpload | None = None
        held: list[bytes] = []  # what arrived before the format, and so the key, was known
        placing = False
        old_key: str | None = None
        try:
            digest = hashlib.sha256()
            size = 0
            head = b""
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large()
                if len(head) < MARKUP_SCAN_BYTES:
                    had = len(head)
                    head += chunk[: MARKUP_SCAN_BYTES - had]
                    # Refuse early, before reading it all.
                    if had < SNIFF_BYTES <= len(head) and sniff(head) is None:
                        raise self._not_audio()
                    if len(head) == MARKUP_SCAN_BYTES and holds_markup(head):
                        raise self._markup()
                digest.update(chunk)
                if pending is not None:
                    await pending.write(chunk)
                    continue
                held.append(chunk)
                if len(head) == MARKUP_SCAN_BYTES:
                    pending = await self._begin(aid, self._format(head), held)
                    held = []
            if size == 0:
                raise ValidationFailed("the file is empty", field="file")
            if expected_size is not None and size < expected_size:
                raise ValidationFailed(
                    f"the upload was cut short: {size} of {expected_size} bytes", field="file"
                )
            fmt = self._format(head)
            if missing := missing_bytes(fmt, head, size):
                raise ValidationFailed(
                    f"the {fmt.name} file is truncated: {missing} bytes missing", field="file"
                )
            if pending is None:
                pending = await self._begin(aid, fmt, held)
            await pending.finish()

            async with transaction():
                # Lock the call, so two uploads for it replace one another in turn.
                call = await activities.by_id(aid, lock=True)
                if call is None:
                    raise NotFound(f"no activity with id {activity_id}", field="activity_id")
                row = await recordings.of_activity(aid)
                if row is None:
                    row = Recording(activity=aid)
                else:
                    old_key = row.storage_key
                row.content_type = fmt.content_type
                row.size = size
                row.sha256 = digest.hexdigest()
                row.storage_key = pending.key
                row.created_at = now()
                await save(row)
                await self._outbox.record(
                    [
                        OutboundEvent(
                            WebhookEventType.RECORDING_ATTACHED,
                            str(aid),
                            recording_data(row, self.download_url(aid)),
                        )
                    ]
                )
                placing = True
                await pending.place()
        except BaseException:
            if pending is not None:
                await pending.discard()
                if placing:
                    # The recording may have been put in place before the commit failed;
                    # if the store is away too, the first failure is the one to report.
                    with suppress(Unavailable):
                        await self._storage.delete(pending.key)
            raise
        assert pending is not None  # the try block begins one before it can succeed
        key = pending.key
        if old_key is not None and old_key != key:
            with suppress(Unavailable):  # the new one is committed: an old object may stay
                await self._storage.delete(old_key)
        await self._events.publish(call_event(CallEventType.RECORDING_ATTACHED, aid, call.user))
        return row

    async def _begin(
        self, activity_id: uuid.UUID, fmt: AudioFormat, held: list[bytes]
    ) -> PendingUpload:
        """Start storing a recording of format `fmt` under a new key, with the bytes so far."""
        key = f"{activity_id}/{uuid.uuid4().hex}{fmt.extension}"
        pending = await self._storage.begin(key, fmt.content_type)
        try:
            for chunk in held:
                await pending.write(chunk)
        except BaseException:
            await pending.discard()
            raise
        return pending

    def _format(self, head: bytes) -> AudioFormat:
        """The accepted audio format `head` starts, or the reason it is refused."""
        fmt = sniff(head)
        if fmt is None:
            raise self._not_audio()
        if holds_markup(head):
            raise self._markup()
        return fmt

    def _too_large(self) -> TooLarge:
        return TooLarge(f"the file is larger than {self.max_bytes} bytes", field="file")

    @staticmethod
    def _markup() -> ValidationFailed:
        return ValidationFailed(
            "the file holds HTML or script markup after its audio header; "
            "upload the recording as the phone system wrote it",
            field="file",
        )

    @staticmethod
    def _not_audio() -> ValidationFailed:
        return ValidationFailed(
            f"not an audio file of an accepted type ({accepted_names()})", field="file"
        )
