"""Sending outbound webhooks over HTTP, and the worker that drains the outbox.

`HttpSender` signs with the Standard Webhooks scheme (the `standardwebhooks` package's
own signer; one signature per secret during a rotation's grace, space-separated),
resolves the target's name once, refuses it unless `TargetRules` allows every address,
and connects to the address it checked (the name still goes in `Host` and, for https,
in TLS's SNI and certificate check), so a name that resolves elsewhere a moment later
(DNS rebinding) cannot lead it to a refused address. It never follows a redirect,
gives every attempt a timeout and keeps only a short excerpt of the answer.
`DeliveryWorker` runs in the app's lifespan: it claims due messages, sends them and
records each attempt, waking at once when a call event is heard and otherwise every
`CRM_WEBHOOK_POLL_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

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
MAX_POOLS = 256
"""Connection pools (one per target host name) kept open at most."""


Resolver = Callable[[str, int], Awaitable[list[str]]]
"""The addresses a host name has, for a port: `system_resolver`, or one a test gives."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives `host`, each once, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class TargetRefused(Exception):
    """The target's address is one `TargetRules` refuses."""


class HttpSender:
    """POSTs signed webhooks; one connection pool per process."""

    def __init__(
        self,
        rules: TargetRules,
        timeout_s: float,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """`verify`: how https targets' certificates are checked (httpx's `verify`; by
        default against the system's trusted authorities)."""
        self._rules = rules
        self._resolve = resolver
        self._verify = verify
        self._timeout = httpx.Timeout(timeout_s)
        self._timeout_s = timeout_s
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def _client_for(self, host: str) -> httpx.AsyncClient:
        """A connection pool per host name: a pool keys its connections by the address
        connected to, and a TLS connection checked for one name must not carry another's
        webhooks (two names may share an address)."""
        client = self._clients.pop(host, None)
        if client is None:
            if len(self._clients) >= MAX_POOLS:
                oldest = next(iter(self._clients))
                await self._clients.pop(oldest).aclose()
            client = httpx.AsyncClient(
                follow_redirects=False, timeout=self._timeout, verify=self._verify
            )
        self._clients[host] = client  # last: the most recently used
        return client

    async def _checked_address(self, url: httpx.URL) -> str:
        """The address to connect to: the host resolved once, refused unless every address
        it has is allowed."""
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise TargetRefused(f"{host} does not resolve: {exc}") from None
        if not addresses:
            raise TargetRefused(f"{host} does not resolve")
        for address in addresses:
            refusal = self._rules.refusal(address)
            if refusal is not None:
                raise TargetRefused(f"{host} is refused: {refusal}")
        return addresses[0]

    async def attempt(
        self, url: str, secrets: Sequence[str], webhook_id: str, body: str
    ) -> AttemptResult:
        """One attempt: the target checked, the body signed now, at most the timeout."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            target = httpx.URL(url)
            name = target.raw_host.decode("ascii")
            address = await self._checked_address(target)
            at = datetime.now(UTC)
            headers = {
                "host": target.netloc.decode("ascii"),
                "content-type": "application/json",
                "user-agent": "ringotel-crm-webhooks",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": " ".join(
                    Webhook(secret).sign(webhook_id, at, body) for secret in secrets
                ),
            }
            # TLS checks the certificate against the name, not the address connected to.
            extensions = {"sni_hostname": name} if target.scheme == "https" else {}
            client = await self._client_for(name)
            async with asyncio.timeout(self._timeout_s):
                async with client.stream(
                    "POST",
                    target.copy_with(host=address),
                    content=body.encode(),
                    headers=headers,
                    extensions=extensions,
                ) as response:
                    excerpt = b""
                    async for chunk in response.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
        except TargetRefused as exc:
            return AttemptResult(None, took(), error=str(exc))
        except httpx.InvalidURL as exc:
            return AttemptResult(None, took(), error=f"the URL is not usable: {exc}"[:500])
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(None, took(), error=f"no answer within {self._timeout_s:g} s")
        except httpx.HTTPError as exc:
            return AttemptResult(None, took(), error=f"{type(exc).__name__}: {exc}"[:500])
        text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
        code = response.status_code
        error = None if 200 <= code < 300 else f"answered {code}"
        return AttemptResult(code, took(), error=error, response_excerpt=text or None)

    async def send(
        self, url: str, secrets: Sequence[str], webhook_id: str, body: str
    ) -> AttemptResult:
        """One attempt (`attempt`), counted by its outcome."""
        result = await self.attempt(url, secrets, webhook_id, body)
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
