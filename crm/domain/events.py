"""Live call events: facts the domain states after a change commits, and who hears them.

A service publishes a `CallEvent` once its transaction has committed, whichever door
the change came through (a Ringotel hook, a GraphQL mutation, a webhook). One small
interface, `EventBus`, has two implementations: `InProcessBus` here, for the embedded
SQLite default (one process), and `crm.pg_events.PostgresBus`, which carries events
between workers and servers through PostgreSQL's LISTEN/NOTIFY.

An event names the call, not its contents: each subscriber loads the call itself,
under its own permissions, when it hears of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from crm.domain.errors import DomainError, ErrorCode

log = logging.getLogger("crm.events")

DEFAULT_QUEUE_SIZE = 256
"""Events a subscriber may fall behind by before it is dropped (`CRM_EVENTS_QUEUE_SIZE`)."""


class CallEventType(StrEnum):
    """What happened to a call."""

    STARTED = "started"
    ANSWERED = "answered"
    ENDED = "ended"
    ASSIGNED = "assigned"
    """The call was linked to a contact after it was logged."""
    RECORDING_ATTACHED = "recording_attached"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One fact about one call; small enough for a NOTIFY payload (PostgreSQL caps 8000
    bytes; this is under 200)."""

    type: CallEventType
    activity_id: uuid.UUID
    at: datetime
    user_id: uuid.UUID | None = None
    """The agent on the call when the event happened (what `mine` filters on)."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "t": self.type.value,
                "a": str(self.activity_id),
                "at": self.at.isoformat(),
                "u": str(self.user_id) if self.user_id else None,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> CallEvent:
        """The event `to_json` wrote; raises `ValueError` (or `KeyError`) for anything else."""
        data = json.loads(text)
        user = data.get("u")
        return cls(
            type=CallEventType(data["t"]),
            activity_id=uuid.UUID(data["a"]),
            at=datetime.fromisoformat(data["at"]),
            user_id=uuid.UUID(user) if user else None,
        )


def call_event(kind: CallEventType, activity_id: uuid.UUID, user_id: uuid.UUID | None) -> CallEvent:
    """An event of `kind` about a call, happening now."""
    return CallEvent(kind, activity_id, datetime.now(UTC), user_id)


class SubscriberTooSlow(DomainError):
    """A subscriber fell further behind than its queue holds: its subscription ends, so
    that it knows it missed events (and can read the calls again) rather than guess."""

    code = ErrorCode.UNAVAILABLE


class EventBus(Protocol):
    """Where the domain states its events and where the transports hear them."""

    async def publish(self, event: CallEvent) -> None:
        """Send `event` to every subscriber, on every worker; never raises (the change it
        reports has already committed) and never waits on a subscriber."""
        ...

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[CallEvent]]:
        """The events published from now on, until the block ends."""
        ...

    async def credentials_changed(self) -> None:
        """Tell every process that a credential was revoked, a session ended or a user
        changed (deactivated, another role): sockets signed in by one check it again.
        Called after the change commits; never raises."""
        ...

    @property
    def credential_changes(self) -> CredentialChanges:
        """This process's record of `credentials_changed` announcements."""
        ...

    async def start(self) -> None:
        """Open what the bus needs (the app's lifespan calls it)."""
        ...

    async def stop(self) -> None:
        """Close what `start` opened."""
        ...


class _Subscriber:
    """One subscriber's bounded queue.

    When the queue is full the subscriber is dropped instead of the publisher waiting:
    its iterator raises `SubscriberTooSlow`, once the events it already holds are read.
    """

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[CallEvent | None] = asyncio.Queue(size + 1)
        self.size = size
        self.overflowed = False

    def offer(self, event: CallEvent) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= self.size:
            self.overflowed = True
            self.queue.put_nowait(None)  # the one slot kept for this mark
            return
        self.queue.put_nowait(event)

    async def events(self) -> AsyncIterator[CallEvent]:
        while True:
            event = await self.queue.get()
            if event is None:
                raise SubscriberTooSlow(
                    f"this subscriber fell more than {self.size} events behind and was "
                    "dropped; subscribe again (CRM_EVENTS_QUEUE_SIZE sets the margin)"
                )
            yield event


class Fanout:
    """The subscribers of one process, and the delivery of an event to each of them."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._subscribers: set[_Subscriber] = set()

    def deliver(self, event: CallEvent) -> None:
        """Hand `event` to every subscriber of this process, without waiting on any."""
        for subscriber in tuple(self._subscribers):
            subscriber.offer(event)

    @property
    def count(self) -> int:
        return len(self._subscribers)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[CallEvent]]:
        subscriber = _Subscriber(self._queue_size)
        self._subscribers.add(subscriber)
        try:
            yield subscriber.events()
        finally:
            self._subscribers.discard(subscriber)


class CredentialChanges:
    """How many credential changes this process has heard of, and whether it hears them all.

    A socket that checked its credential at `count` need not read it again until the
    count moves, as long as `complete` holds: a process on PostgreSQL hears every
    announcement, the `crm` command's included, while its LISTEN connection is up; in
    process (SQLite) it hears only its own, never the `crm` command's.
    """

    def __init__(self) -> None:
        self.count = 0
        self._complete: Callable[[], bool] = lambda: False

    def heard(self) -> None:
        """One more change (or possibly missed ones, after a LISTEN connection came back)."""
        self.count += 1

    def complete_while(self, condition: Callable[[], bool]) -> None:
        """Say what makes this process hear every change, wherever it was made."""
        self._complete = condition

    @property
    def complete(self) -> bool:
        return self._complete()


class InProcessBus:
    """The bus of one process (the SQLite default): publishing delivers at once."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.fanout = Fanout(queue_size)
        self._changes = CredentialChanges()

    async def publish(self, event: CallEvent) -> None:
        self.fanout.deliver(event)

    async def credentials_changed(self) -> None:
        self._changes.heard()

    @property
    def credential_changes(self) -> CredentialChanges:
        return self._changes

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[CallEvent]]:
        return self.fanout.subscribe()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
