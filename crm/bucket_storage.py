"""Recordings in an S3-compatible bucket (`CRM_RECORDINGS_URL=s3://bucket/prefix`).

An upload is an S3 multipart upload: bytes are gathered into parts of
`PART_BYTES` and each is sent as soon as it is full, so memory holds one part
whatever the recording's size. The object appears at its key only when the
upload is completed (`place`); an upload that is discarded is aborted, which
removes its parts, so a failed upload leaves no object. Reads ask for the byte
range they need. aiobotocore (the async botocore that aioboto3 wraps) is used
directly: it has every call needed, typed by types-aiobotocore-s3.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError

from crm.domain.errors import Unavailable
from crm.domain.storage import READ_CHUNK, BucketLocation, PendingUpload, check_key

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

_log = logging.getLogger(__name__)

PART_BYTES = 8 * 2**20
"""Bytes of one uploaded part (S3 wants at least 5 MiB for all but the last): memory per upload."""

DEFAULT_REGION = "us-east-1"
"""The region signed for when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` names one."""


@functools.cache
def _session() -> AioSession:
    """One botocore session per process: it loads S3's service description (about 0.3 s of
    CPU) once, however many clients are made from it."""
    return get_session()


def _unavailable(exc: Exception) -> Unavailable:
    reason = type(exc).__name__
    if isinstance(exc, ClientError):
        reason = str(exc.response.get("Error", {}).get("Code", reason))
    return Unavailable(f"the recording store cannot be used now ({reason})")


class _MultipartUpload:
    def __init__(self, client: S3Client, bucket: str, key: str, object_key: str) -> None:
        self.key = key
        self._client = client
        self._bucket = bucket
        self._object_key = object_key
        self._upload_id: str | None = None
        self._buffer = bytearray()
        self._parts: list[CompletedPartTypeDef] = []
        self._placed = False

    async def start(self, content_type: str) -> None:
        answer = await self._client.create_multipart_upload(
            Bucket=self._bucket, Key=self._object_key, ContentType=content_type
        )
        self._upload_id = answer["UploadId"]

    async def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        while len(self._buffer) >= PART_BYTES:
            part = bytes(self._buffer[:PART_BYTES])
            del self._buffer[:PART_BYTES]
            await self._send(part)

    async def _send(self, part: bytes) -> None:
        assert self._upload_id is not None
        number = len(self._parts) + 1
        try:
            answer = await self._client.upload_part(
                Bucket=self._bucket,
                Key=self._object_key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=part,
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    async def finish(self) -> None:
        if self._buffer or not self._parts:
            part, self._buffer = bytes(self._buffer), bytearray()
            await self._send(part)

    async def place(self) -> None:
        assert self._upload_id is not None
        try:
            await self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._object_key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None
        self._placed = True

    async def discard(self) -> None:
        self._buffer = bytearray()
        if self._placed or self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        try:
            await self._client.abort_multipart_upload(
                Bucket=self._bucket, Key=self._object_key, UploadId=upload_id
            )
        except (BotoCoreError, ClientError):
            # The store is away: the error that made us discard is the one to report, and
            # the bucket's lifecycle rule removes the parts left behind.
            _log.warning("could not abort the multipart upload of %s", self._object_key)


class BucketStorage:
    """Recordings as objects under a prefix of one bucket."""

    def __init__(self, location: BucketLocation) -> None:
        self.location = location
        self._stack = AsyncExitStack()
        self._client: S3Client | None = None

    @property
    def client(self) -> S3Client:
        assert self._client is not None, "the bucket storage is not open"
        return self._client

    def object_key(self, key: str) -> str:
        """The object that holds recording `key`: under the prefix, checked like a file key."""
        return "/".join([*filter(None, [self.location.prefix]), *check_key(key)])

    async def open(self) -> None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        creator = _session().create_client(
            "s3",
            endpoint_url=self.location.endpoint_url,
            region_name=region or DEFAULT_REGION,
            config=AioConfig(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                # Checksums only where S3 requires them: stores that are not AWS often refuse
                # the newer default (a CRC32 trailer on every upload).
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                s3={"addressing_style": "path"} if self.location.endpoint_url else None,
            ),
        )
        self._client = await self._stack.enter_async_context(creator)

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None

    async def check(self) -> None:
        try:
            await self.client.head_bucket(Bucket=self.location.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None

    async def begin(self, key: str, content_type: str) -> PendingUpload:
        upload = _MultipartUpload(self.client, self.location.bucket, key, self.object_key(key))
        try:
            await upload.start(content_type)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None
        return upload

    async def delete(self, key: str) -> None:
        try:
            await self.client.delete_object(Bucket=self.location.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        try:
            answer = await self.client.get_object(
                Bucket=self.location.bucket, Key=self.object_key(key), Range=f"bytes={start}-{end}"
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None
        body = answer["Body"]
        try:
            async for chunk in body.iter_chunks(READ_CHUNK):
                yield chunk
        finally:
            body.close()
