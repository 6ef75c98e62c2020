"""A request body that stops arriving, or only trickles in, is answered 408 and its
connection closed.

Only the time the app spends waiting for the client counts. Each wait for more of
the body is limited to `timeout_s`, and the body has a budget of waiting time: it
starts at `timeout_s`, shrinks by the time waited and grows by one second for every
`min_rate` bytes received (up to `timeout_s` again, so a fast start banks nothing),
in the spirit of Apache's mod_reqtimeout. A body at `min_rate` or faster never runs
out; a client sending a byte now and then does, and cannot hold a worker and a
connection for long. A body the app answers before reading it whole (a refusal) gets
`Connection: close`, so its sender cannot keep the connection either.
"""

from __future__ import annotations

import asyncio

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send


def _declares_body(scope: Scope) -> bool:
    headers = Headers.from_scope(scope)
    length = headers.get("content-length", "0").strip()
    return "chunked" in headers.get("transfer-encoding", "").lower() or length not in ("", "0")


class BodyTimeoutMiddleware(ASGIMiddleware):
    """Times out each wait for more of the request body, and a body that comes too slowly."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, timeout_s: float, min_rate: int) -> None:
        self.timeout_s = timeout_s
        self.min_rate = min_rate

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        unread = _declares_body(scope)
        loop = asyncio.get_running_loop()
        budget = self.timeout_s

        async def timed_receive() -> ReceiveMessage:
            nonlocal unread, budget
            if not unread:  # after the body, receive() waits for the disconnect: no limit
                return await receive()
            started = loop.time()
            try:
                # asyncio.timeout, not wait_for: a part already received is returned at
                # once, without a new task, however little budget is left.
                async with asyncio.timeout(max(min(self.timeout_s, budget), 0)):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(
                    status_code=HTTP_408_REQUEST_TIMEOUT,
                    detail="the request body arrived too slowly",
                    headers={"Connection": "close"},
                ) from None
            budget -= loop.time() - started
            if message["type"] == "http.request":
                received = len(message.get("body", b""))
                budget = min(self.timeout_s, budget + received / self.min_rate)
            if message["type"] != "http.request" or not message.get("more_body", False):
                unread = False
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and unread:
                MutableScopeHeaders.from_message(message)["Connection"] = "close"
            await send(message)

        await next_app(scope, timed_receive, closing_send)
