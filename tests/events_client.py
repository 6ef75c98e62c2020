"""A subscriber to `callEvents` on a real server, through gql's WebSocket transport
(`graphql-transport-ws`), a client we did not write.

Its results are pumped into a queue by a task of its own, so a test can wait for the
next one with a timeout without cancelling the subscription's generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from gql import Client, gql
from gql.client import AsyncClientSession
from gql.transport.websockets import WebsocketsTransport

CALL_EVENTS = """
subscription ($mine: Boolean) {
  callEvents(mine: $mine) {
    type at
    activity { id callId status user { email } contact { id firstName } company { name }
               recording { size } callerMatch }
  }
}
"""
WAIT_S = 10.0
"""Longest wait for an event that is expected (a test fails then, not hangs)."""


def websocket_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


def transport(http_url: str, init_payload: dict[str, Any] | None = None) -> WebsocketsTransport:
    """gql's transport speaking `graphql-transport-ws` to the server's `/graphql`."""
    return WebsocketsTransport(
        url=websocket_url(http_url),
        init_payload=init_payload or {},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


class EventStream:
    """`callEvents` as one subscriber hears it, until the block ends."""

    def __init__(self, http_url: str, authorization: str, *, mine: bool | None = None) -> None:
        self._client = Client(
            transport=transport(http_url, {"Authorization": authorization}),
            fetch_schema_from_transport=False,
        )
        self._mine = mine
        self._queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._session: AsyncClientSession | None = None

    async def __aenter__(self) -> EventStream:
        self._session = await self._client.connect_async()  # type: ignore[no-untyped-call]
        self._task = asyncio.create_task(self._pump())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.close_async()  # type: ignore[no-untyped-call]

    async def _pump(self) -> None:
        assert self._session is not None
        request = gql(CALL_EVENTS)
        request.variable_values = {"mine": self._mine}
        try:
            async for result in self._session.subscribe(request):
                await self._queue.put(result["callEvents"])
        except Exception as exc:
            await self._queue.put(exc)

    async def next(self, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """The next event; raises what the subscription raised (a GraphQL error, say)."""
        item = await asyncio.wait_for(self._queue.get(), timeout_s)
        if isinstance(item, BaseException):
            raise item
        return item

    async def of_call(
        self, activity_id: str, timeout_s: float = WAIT_S, *, kind: str | None = None
    ) -> dict[str, Any]:
        """The next event about one call (of one type), skipping events about others."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            event = await self.next(max(0.01, deadline - loop.time()))
            if event["activity"]["id"] == activity_id and kind in (None, event["type"]):
                return event

    async def ready(self, probe: Callable[[], Awaitable[str]]) -> None:
        """Wait until the server delivers to this subscriber: the protocol acknowledges no
        subscription, so log probe calls (`probe` returns the call's id) until one is
        heard, then forget whatever else came before."""
        for _ in range(100):
            activity_id = await probe()
            with contextlib.suppress(TimeoutError):
                await self.of_call(activity_id, timeout_s=0.3)
                break
        else:
            raise AssertionError("the subscription never heard a probe call")
        while not self._queue.empty():
            self._queue.get_nowait()

    def quiet(self) -> bool:
        """Whether no event is waiting."""
        return self._queue.empty()


def call_id() -> str:
    return f"call-{uuid.uuid4().hex[:12]}"
