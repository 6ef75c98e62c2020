"""CSV files as `crm import` reads them: checked whole before anything is written, then
streamed a row at a time.

`open_import` reads the file once in chunks (constant memory) to check that it is UTF-8
and to count its lines for the progress bar, then reads its header: the first line, whose
delimiter (`,` or `;`) the file uses throughout. A bad file raises `BadFile` with one line
that says what is wrong.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from crm.domain.csv_format import Columns, RecordFormat, guard, read_header
from crm.domain.errors import ValidationFailed
from crm.domain.record_import import Rejected

MAX_FIELD_CHARS = 1 << 20
"""The longest cell read (1 MiB); a longer one rejects its row, whatever the column."""

MAX_LINE_CHARS = 16 * MAX_FIELD_CHARS
"""The longest line read (16 MiB); a longer one rejects its row without being held whole.
A shorter line with a cell over `MAX_FIELD_CHARS` is rejected by the CSV reader."""
MAX_HEADER_CHARS = 1 << 16
"""The longest header row read (64 KiB): a file whose first line runs on is no CSV of ours."""

_CHUNK_BYTES = 1 << 20
_DELIMITERS = (",", ";")
_OTHER_DELIMITERS = {"\t": "tab", "|": "'|'"}


class BadFile(Exception):
    """A file that cannot be imported at all; the message is one line."""


@dataclass(frozen=True, slots=True)
class ImportFile:
    """A checked file: its header's columns, its delimiter, and how many lines follow it."""

    path: Path
    columns: Columns
    delimiter: str
    data_lines: int


def open_import(path: Path, form: RecordFormat) -> ImportFile:
    """Check `path` for `form`'s records; `BadFile` when it is no such file."""
    lines = _count_utf8_lines(path)
    with path.open(encoding="utf-8-sig", newline="") as text:
        first = text.readline(MAX_HEADER_CHARS + 1)
    if len(first) > MAX_HEADER_CHARS:
        raise BadFile(
            f"{path}: the first line is longer than {MAX_HEADER_CHARS} characters;"
            " it should name the columns"
        )
    if not first.strip():
        raise BadFile(f"{path}: no header row (the first line must name the columns)")
    delimiter = _delimiter(path, first)
    header = next(csv.reader([first], delimiter=delimiter))
    try:
        columns = read_header(header, form)
    except ValidationFailed as exc:
        known = [cell for cell in header if cell.strip().lower() in form.fields]
        if not known and not any(cell.strip().lower().startswith("phone") for cell in header):
            raise BadFile(
                f"{path}: no header row (the first line must name the columns, e.g."
                f" {','.join(form.fields[:3])})"
            ) from None
        raise BadFile(f"{path}: {exc.message}") from None
    return ImportFile(path=path, columns=columns, delimiter=delimiter, data_lines=lines - 1)


def rows(file: ImportFile) -> Iterator[tuple[int, list[str]] | Rejected]:
    """The data rows with the line each starts on; a row the CSV reader cannot read
    (a cell over `MAX_FIELD_CHARS`, a line over `MAX_LINE_CHARS`) is `Rejected` and reading
    goes on. Blank lines are skipped."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    overlong: set[int] = set()
    with file.path.open(encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(_bounded_lines(text, overlong), delimiter=file.delimiter)
        next(reader)  # the header
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Rejected(line, f"row: unreadable CSV ({exc})")
                continue
            if overlong and any(line <= n <= reader.line_num for n in overlong):
                overlong.clear()
                yield Rejected(line, f"row: a line longer than {MAX_LINE_CHARS} characters")
                continue
            if any(cells):
                yield line, cells


def _bounded_lines(text: TextIO, overlong: set[int]) -> Iterator[str]:
    """The file's lines, none held longer than `MAX_LINE_CHARS`: a longer one is read past
    in pieces, its number put in `overlong` and an empty line given in its place, so that
    one endless line cannot fill the memory."""
    number = 0
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS and line[-1] not in "\r\n":
            overlong.add(number)
            while (rest := text.readline(MAX_LINE_CHARS)) and rest[-1] not in "\r\n":
                pass
            line = "\n"
        yield line


def _count_utf8_lines(path: Path) -> int:
    """The file's lines, read in chunks; `BadFile` naming the line of the first byte that is
    not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    last = b""
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(_CHUNK_BYTES):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line = lines + chunk.count(b"\n", 0, exc.start) + 1
                    raise BadFile(
                        f"{path}: not UTF-8 text (byte 0x{chunk[exc.start]:02x} on line {line});"
                        " save it as UTF-8"
                    ) from None
                lines += chunk.count(b"\n")
                last = chunk
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise BadFile(f"{path}: not UTF-8 text (it ends inside a character)") from None
    except OSError as exc:
        raise BadFile(f"{path}: {exc.strerror or exc}") from None
    if not last:
        raise BadFile(f"{path}: the file is empty (no header row)")
    return lines if last.endswith(b"\n") else lines + 1


def _delimiter(path: Path, header: str) -> str:
    """`;` when the header has more of them than commas, else `,`; a header separated by
    anything else is refused."""
    counts = {d: header.count(d) for d in _DELIMITERS}
    if not any(counts.values()):
        for other, name in _OTHER_DELIMITERS.items():
            if other in header:
                raise BadFile(f"{path}: columns are separated by {name}; use ',' or ';'")
        return ","
    return max(_DELIMITERS, key=lambda d: counts[d])


class RejectsFile:
    """The rejected rows of an import, as CSV: `line,reason`, the reason guarded like any
    exported cell."""

    def __init__(self, target: TextIO) -> None:
        self._writer = csv.writer(target)
        self._writer.writerow(["line", "reason"])

    def write(self, rejected: Iterable[Rejected]) -> None:
        self._writer.writerows([row.line, guard(row.reason)] for row in rejected)


def default_rejects_path(path: Path) -> Path:
    """Beside the input: `people.csv` gives `people.rejects.csv`."""
    return path.with_name(f"{path.stem}.rejects.csv")
