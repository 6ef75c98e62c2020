"""A minimal HTTP/1.1 keep-alive client, so that the load driver costs little CPU.

The benchmark shares two cores with the servers it measures; a full-featured
client would measure itself.
"""

from __future__ import annotations

import asyncio


class Client:
    """One keep-alive connection; one request at a time."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._head = head

    @classmethod
    async def open(cls, host: str, port: int, headers: dict[str, str] | None = None) -> Client:
        """Connect; `headers` go with every request (e.g. credentials)."""
        reader, writer = await asyncio.open_connection(host, port)
        head = f"Host: {host}:{port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        return cls(reader, writer, head)

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request; return the status and the body."""
        head = f"{method} {path} HTTP/1.1\r\n{self._head}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self._writer.write(head.encode() + b"\r\n" + (body or b""))
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return status, await self._chunked()
        return status, await self._reader.readexactly(int(headers.get("content-length", "0")))

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self._reader.readline()
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readline()

    def close(self) -> None:
        self._writer.close()
