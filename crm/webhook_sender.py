"""Sending outbound webhooks over HTTP, and the worker that drains the outbox.

`HttpSender` signs with the Standard Webhooks scheme (the `standardwebhooks` package's
own signer), refuses targets whose address `TargetRules` refuses once the name is
resolved, never follows a redirect, gives every attempt a timeout and keeps only a
short excerpt of the answer. `DeliveryWorker` runs in the app's lifespan: it claims
due messages, sends them and records each attempt, waking at once when a call event
is heard and otherwise every `CRM_WEBHOOK_POLL_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from crm.domain.events import EventBus
from crm.domain.webhooks import AttemptResult, TargetRules, WebhookService
from crm.metrics import WEBHOOK_ATTEMPTS

log = logging.getLogger("crm.webhooks")

EXCERPT_BYTES = 200
"""What is kept of a receiver's answer: enough to tell an error page apart."""
ATTEMPTS_KEPT = timedelta(days=7)
"""Attempts older than this are pruned."""


class TargetRefused(Exception):
    """The target's address is one `TargetRules` refuses."""


class HttpSender:
    """POSTs signed webhooks; one connection pool per process."""

    def __init__(self, rules: TargetRules, timeout_s: float) -> None:
        self._rules = rules
        self._timeout = httpx.Timeout(timeout_s)
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(follow_redirects=False, timeout=self._timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def _check_target(self, url: str) -> None:
        """Refuse the URL unless every address its host resolves to is allowed."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise TargetRefused(f"{host} does not resolve: {exc}") from None
        for info in infos:
            refusal = self._rules.refusal(str(info[4][0]))
            if refusal is not None:
                raise TargetRefused(f"{host} is refused: {refusal}")

    async def attempt(self, url: str, secret: str, webhook_id: str, body: str) -> AttemptResult:
        """One attempt: the target checked, the body signed now, at most the timeout."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            await self._check_target(url)
            at = datetime.now(UTC)
            headers = {
                "content-type": "application/json",
                "user-agent": "ringotel-crm-webhooks",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
            }
            async with asyncio.timeout(self._timeout_s):
                async with self._client.stream(
                    "POST", url, content=body.encode(), headers=headers
                ) as response:
                    excerpt = b""
                    async for chunk in response.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
        except TargetRefused as exc:
            return AttemptResult(None, took(), error=str(exc))
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(None, took(), error=f"no answer within {self._timeout_s:g} s")
        except httpx.HTTPError as exc:
            return AttemptResult(None, took(), error=f"{type(exc).__name__}: {exc}"[:500])
        text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
        code = response.status_code
        error = None if 200 <= code < 300 else f"answered {code}"
        return AttemptResult(code, took(), error=error, response_excerpt=text or None)

    async def send(self, url: str, secret: str, webhook_id: str, body: str) -> AttemptResult:
        """One attempt (`attempt`), counted by its outcome."""
        result = await self.attempt(url, secret, webhook_id, body)
        WEBHOOK_ATTEMPTS.labels("delivered" if result.ok else "failed").inc()
        return result


class DeliveryWorker:
    """Drains the outbox in the background for as long as the app runs."""

    def __init__(
        self, service: WebhookService, sender: HttpSender, events: EventBus, poll_s: float
    ) -> None:
        self._service = service
        self._sender = sender
        self._events = events
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.name = f"worker-{uuid.uuid4().hex[:12]}"

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(), name="webhook-delivery"),
            asyncio.create_task(self._listen(), name="webhook-wake"),
        ]

    async def stop(self) -> None:
        """Let the batch in flight finish (each attempt is bounded by its timeout), then
        end: cancelling a claim or a record midway could leave a database connection
        that the pool then waits for as it closes."""
        self._stopping = True
        self._wake.set()
        run, listen = self._tasks
        listen.cancel()
        await asyncio.wait([run, listen], timeout=self._service.policy.timeout_s + 5)
        for task in (run, listen):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._sender.close()

    async def _listen(self) -> None:
        """A call event means the outbox may have grown: look now, not at the next poll."""
        while not self._stopping:
            try:
                async with self._events.subscribe() as events:
                    async for _ in events:
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped subscription: polling goes on meanwhile
                await asyncio.sleep(self._poll_s)

    async def _run(self) -> None:
        pruned = 0.0
        while not self._stopping:
            try:
                while not self._stopping and await self._service.deliver_due(
                    self.name, self._sender
                ):
                    pass
                if time.monotonic() - pruned > 3600:
                    await self._service.prune_attempts(datetime.now(UTC) - ATTEMPTS_KEPT)
                    pruned = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is down: try again at the next poll
                log.exception("webhook delivery failed; trying again")
            self._wake.clear()
            # Not `wait_for`: on Python 3.11 it can swallow a cancel that comes as the
            # event is set, and the worker would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._wake.wait()
