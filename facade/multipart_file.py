"""One file part out of a streamed `multipart/form-data` body, without buffering the body.

Litestar's form parsing reads the whole body first; a recording may be gigabytes,
so the upload route feeds the request stream through python-multipart's
push parser and passes the file part's bytes on as they arrive.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Callable

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from crm.domain.errors import ValidationFailed

_PART_NAME = re.compile(r';\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))', re.IGNORECASE)
_FILE_NAME = re.compile(r';\s*filename\s*=\s*(?:"([^"]*)"|([^\s;]+))', re.IGNORECASE)


class _FilePart:
    """Callbacks of the push parser: collect the named part's bytes of the latest chunk."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pieces: list[bytes] = []
        self.found = False
        self.complete = False
        self._in_part = False
        self._field = bytearray()
        self._value = bytearray()
        self._disposition = ""
        self.filename = ""
        """The name the sender gave the file (`filename=`), once its part's headers are read."""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._disposition = ""
        self._in_part = False

    def _header_end(self) -> None:
        if bytes(self._field).lower() == b"content-disposition":
            self._disposition = self._value.decode("latin-1")
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        match = _PART_NAME.search(self._disposition)
        part_name = (match.group(1) or match.group(2)) if match else None
        self._in_part = not self.found and part_name == self.name
        self.found = self.found or self._in_part
        if self._in_part and (named := _FILE_NAME.search(self._disposition)):
            self.filename = named.group(1) or named.group(2) or ""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_part:
            self.pieces.append(data[start:end])

    def _part_end(self) -> None:
        if self._in_part:
            self.complete = True
            self._in_part = False


async def file_part(
    body: AsyncIterable[bytes],
    boundary: str,
    *,
    name: str = "file",
    on_filename: Callable[[str], None] | None = None,
) -> AsyncIterator[bytes]:
    """The bytes of the part called `name`; a body that ends before that part does is an error.
    `on_filename` hears the file's name (empty when the sender gave none) before its bytes."""
    part = _FilePart(name)
    told = False
    parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    async for chunk in body:
        try:
            parser.write(chunk)
        except MultipartParseError:
            raise ValidationFailed("not a well-formed multipart body", field=name) from None
        if on_filename is not None and part.found and not told:
            on_filename(part.filename)
            told = True
        pieces, part.pieces = part.pieces, []
        for piece in pieces:
            yield piece
        if part.complete:
            return  # the rest of the form is of no interest
    if not part.found:
        raise ValidationFailed(f"no part named {name!r} in the form", field=name)
    raise ValidationFailed("the upload was cut short: the file part never ended", field=name)
