"""The event bus across workers and servers: PostgreSQL's LISTEN/NOTIFY.

Publishing is a NOTIFY on a pooled connection (a round trip of well under a
millisecond); every process holds one connection of its own that LISTENs, and hands
what it hears to its subscribers (`crm.domain.events.Fanout`), its own events included,
so each event reaches a subscriber once, whichever worker raised it.

The listening connection is opened and closed in the app's lifespan. When it drops
(the server restarted, a proxy cut it, someone terminated it) it is opened again, at
once and then every `RECONNECT_S`; events NOTIFYed while it was down are not heard.
A silent break of the TCP connection is found by a probe every `PROBE_S` seconds.

A second channel carries credential changes (a key or client revoked, a session
ended, a user deactivated or given another role), announced by any process, the `crm`
command's included; each (re)opened connection counts as one, for what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg

from crm.domain.events import (
    DEFAULT_QUEUE_SIZE,
    CallEvent,
    CredentialChanges,
    EventBus,
    Fanout,
    InProcessBus,
)
from crm.engine import database_dsn
from crm.exception_text import describe
from crm.queries.events import notify

log = logging.getLogger("crm.events")

CHANNEL = "crm_call_events"
CREDENTIALS_CHANNEL = "crm_credential_changes"
"""Where a revoked credential, an ended session or a changed user is announced."""
APPLICATION_NAME = "crm-events"
"""The listening connection's `application_name`, so an operator can tell it apart."""
CONNECT_TIMEOUT_S = 5
RECONNECT_S = 1.0
PROBE_S = 15.0
START_WAIT_S = 5.0
"""How long the app's start-up waits for the first LISTEN before serving anyway."""


class PostgresBus:
    """LISTEN/NOTIFY on `dsn`; NOTIFY goes through the tables' engine (its pool)."""

    def __init__(self, dsn: str, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._dsn = dsn
        self.fanout = Fanout(queue_size)
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        """Set while the listening connection is up."""
        self.connections = 0
        """How many listening connections this bus has opened (1 + reconnections)."""
        self._changes = CredentialChanges()
        self._changes.complete_while(self.listening.is_set)

    async def publish(self, event: CallEvent) -> None:
        try:
            await notify(CHANNEL, event.to_json())
        except Exception as exc:
            # The change has committed; a lost announcement must not fail its request.
            log.warning(
                "could not publish %s of %s: %s", event.type, event.activity_id, describe(exc)
            )

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[CallEvent]]:
        return self.fanout.subscribe()

    async def credentials_changed(self) -> None:
        try:
            await notify(CREDENTIALS_CHANNEL, "")
        except Exception as exc:
            # Sockets on this process still hear it; the others recheck in time.
            log.warning("could not announce a credential change: %s", describe(exc))
        self._changes.heard()

    @property
    def credential_changes(self) -> CredentialChanges:
        return self._changes

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="crm-events-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), timeout=START_WAIT_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = CallEvent.from_json(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event on %s", CHANNEL)
            return
        self.fanout.deliver(event)

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("the event listener's connection failed: %s", describe(exc))
            await asyncio.sleep(RECONNECT_S)

    async def _listen_once(self) -> None:
        """Listen until the connection drops (then return or raise)."""
        connection = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_S,
            server_settings={"application_name": APPLICATION_NAME},
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _c: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._heard)
            await connection.add_listener(CREDENTIALS_CHANNEL, lambda *_: self._changes.heard())
            self.connections += 1
            self._changes.heard()  # whatever was announced while no connection listened
            self.listening.set()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), timeout=PROBE_S)
                except TimeoutError:
                    await asyncio.wait_for(connection.execute("SELECT 1"), CONNECT_TIMEOUT_S)
        finally:
            self.listening.clear()
            connection.terminate()


def bus_for(database_url: str, queue_size: int = DEFAULT_QUEUE_SIZE) -> EventBus:
    """LISTEN/NOTIFY on PostgreSQL, so every worker, server and `crm` command reaches every
    other; in process on SQLite, whose one database file serves one process."""
    if database_url.startswith(("postgresql://", "postgres://")):
        return PostgresBus(database_dsn(database_url), queue_size)
    return InProcessBus(queue_size)
