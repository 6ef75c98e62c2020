"""What `crm serve` adds to uvicorn: a deadline for each request's line and headers.

uvicorn times out idle kept-alive connections, but a client that sends its headers
one byte at a time keeps a connection open for as long as it likes (every byte
restarts the idle timer, and no ASGI middleware runs before the headers are in).
This protocol is uvicorn's httptools protocol with one timer more: from the
connection's start, and from each request's first byte, the headers must be
complete within `CRM_HTTP_HEADER_TIMEOUT_S`, or the connection is closed.
It only adds to the parser callbacks httptools documents (`on_message_begin`,
`on_headers_complete`) and the asyncio protocol methods, calling uvicorn's own.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from crm.settings import load_settings


@functools.cache
def header_timeout_s() -> float:
    """The header deadline of this process, read once from the settings (`crm serve`'s
    workers are separate processes, so each reads its own environment)."""
    return load_settings().http_header_timeout_s


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, closing connections whose headers come too slowly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._connection: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._connection = transport
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        if self._deadline is None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(header_timeout_s(), self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self._connection is not None and not self._connection.is_closing():
            self._connection.close()
