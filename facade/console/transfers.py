"""CSV files in and out of the console: the same import and export as `crm import` and
`crm export`, over plain HTTP (moving a file is not GraphQL's job; the page reads an
import's progress through GraphQL, `crm.graphql.import_jobs`).

- `GET /export/{noun}`: every contact or company, streamed a page at a time, as an
  attachment; whoever may read them (`crm:read`).
- `POST /import/{noun}`: a CSV in the `file` part of a multipart form, streamed to a
  temporary file and checked whole (encoding, header, delimiter) before anything is
  written; a bad file is answered 422 with its one line. Then 202 and the job's id: the
  import runs in the background (`crm.import_runner`). Whoever may write (`crm:write`).
- `GET /imports/{id}/rejects`: the rows a job left out, as `crm import` writes them.

Who may is decided with every route's rule (`facade.auth.policy`). A console session
authenticates these as every request: a write must carry the console's
header, and an `Origin` must be this server's (`facade.auth.session`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Stream
from litestar.status_codes import HTTP_202_ACCEPTED

from crm.bulk_import import KINDS, Kind
from crm.csv_files import BadFile, RejectsFile, open_import
from crm.domain.errors import NotFound, TooLarge, ValidationFailed
from crm.domain.principal import Principal
from crm.domain.record_import import Rejected
from crm.domain.services import Services
from crm.domain.validation import now
from crm.graphql.import_jobs import REJECTS_URL
from crm.import_runner import ImportRunner
from facade.auth.middleware import PRINCIPAL_KEY
from facade.multipart_file import file_part

EXPORT_PATH = "/export/{noun:str}"
IMPORT_PATH = "/import/{noun:str}"
REJECTS_PATH = REJECTS_URL.replace("{job_id}", "{job_id:str}")
CSV_TYPE = "text/csv"  # Litestar adds the charset (utf-8)
CHUNK_CHARS = 1 << 16
FORM_SLACK_BYTES = 1 << 16
"""What a multipart form may hold besides the file (boundaries, part headers)."""
_UNSAFE_NAME = re.compile(r"[^\w .()\-]+")
T = TypeVar("T")


class ImportStarted(msgspec.Struct):
    """The answer to an accepted file: the job that imports it, read through GraphQL."""

    id: str
    kind: str
    file_name: str
    total: int


def _kind(noun: str) -> Kind:
    kind = KINDS.get(noun)
    if kind is None:
        raise NotFound(f"no such kind of record: {noun!r} (contacts or companies)", field="noun")
    return kind


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


async def _chunked(
    rows: AsyncIterator[T], writer: Callable[[io.StringIO], Callable[[T], object]]
) -> AsyncIterator[bytes]:
    """`rows` written to text by the writer made for the buffer, sent in chunks of about
    64 KiB, so that memory does not grow with the file."""
    buffer = io.StringIO()
    write = writer(buffer)
    async for row in rows:
        write(row)
        if buffer.tell() >= CHUNK_CHARS:
            yield _drain(buffer)
    yield _drain(buffer)


def _csv_writer(buffer: io.StringIO) -> Callable[[list[str]], object]:
    """Rows as `crm export` writes them."""
    return csv.writer(buffer).writerow


def _rejects_writer(buffer: io.StringIO) -> Callable[[Rejected], None]:
    """Rejected rows as `crm import`'s rejects file has them (its header first)."""
    rejects = RejectsFile(buffer)
    return lambda row: rejects.write([row])


async def _started(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` with the first read already, so that a database that is away is answered
    503 before the 200 is sent."""
    first = await anext(chunks, b"")

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return rest()


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@get(EXPORT_PATH, include_in_schema=False)
async def export_csv(noun: str) -> Stream:
    """Every record of `noun` in the import format, as a file named after today."""
    kind = _kind(noun)
    body = await _started(_chunked(kind.export(), _csv_writer))
    return Stream(
        body, media_type=CSV_TYPE, headers=_attachment(f"{noun}-{now().date().isoformat()}.csv")
    )


@get(REJECTS_PATH, include_in_schema=False)
async def import_rejects(job_id: str, services: Services) -> Stream:
    """The rows an import left out: `line,reason`, in line order."""
    job = await services.import_jobs.job(job_id)
    body = await _started(_chunked(services.import_jobs.rejects(job.id), _rejects_writer))
    stem = PurePosixPath(job.file_name).stem or job.kind
    return Stream(body, media_type=CSV_TYPE, headers=_attachment(f"{stem}.rejects.csv"))


def file_name_of(sent: str, noun: str) -> str:
    """The uploaded file's own name, without any folder, in safe characters."""
    name = PurePosixPath(sent.replace("\\", "/")).name
    name = _UNSAFE_NAME.sub("_", name).strip(" .")[:200]
    return name or f"{noun}.csv"


async def _receive(request: Request[Any, Any, Any], target: Path, limit: int) -> str:
    """Stream the form's `file` part into `target`; the name it was sent under."""
    media_type, options = request.content_type
    boundary = options.get("boundary")
    if media_type != "multipart/form-data" or not boundary:
        raise ValidationFailed(
            "send the CSV as multipart/form-data, in a part named 'file'", field="file"
        )
    announced = request.content_length
    if announced is not None and announced > limit + FORM_SLACK_BYTES:
        raise _too_large(limit)
    names: list[str] = []
    size = 0
    with target.open("wb") as out:
        async for piece in file_part(request.stream(), boundary, on_filename=names.append):
            size += len(piece)
            if size > limit:
                raise _too_large(limit)
            out.write(piece)
    return names[0] if names else ""


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the file is larger than {limit} bytes (CRM_IMPORT_MAX_BYTES)", field="file")


def _started_by(request: Request[Any, Any, Any]) -> str | None:
    principal = request.scope.get(PRINCIPAL_KEY)
    return principal.user_id if isinstance(principal, Principal) else None


@post(
    IMPORT_PATH,
    include_in_schema=False,
    request_max_body_size=None,  # the route enforces CRM_IMPORT_MAX_BYTES as it streams
    status_code=HTTP_202_ACCEPTED,
)
async def import_csv(
    noun: str,
    request: Request[Any, Any, Any],
    services: Services,
    state: State,
    import_runner: ImportRunner,
) -> ImportStarted:
    """Receive a CSV and start importing it in the background; 409 while one runs."""
    kind = _kind(noun)
    jobs = services.import_jobs
    await jobs.ensure_idle(noun)
    folder = Path(tempfile.mkdtemp(prefix="crm-import-"))
    try:
        path = folder / "upload.csv"
        name = file_name_of(await _receive(request, path, state.settings.import_max_bytes), noun)
        try:
            checked = await asyncio.to_thread(open_import, path, kind.form)
        except BadFile as exc:
            # The message names the file as the user knows it, not where it was kept.
            raise ValidationFailed(str(exc).replace(str(path), name, 1), field="file") from None
        job = await jobs.begin(noun, name, checked.data_lines, _started_by(request))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    import_runner.start(job.id, kind, checked, folder)
    return ImportStarted(id=str(job.id), kind=noun, file_name=name, total=checked.data_lines)


ROUTES: Iterable[Any] = (export_csv, import_csv, import_rejects)
"""The console's file routes, for the app factory."""
