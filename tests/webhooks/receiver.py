"""A real webhook receiver on 127.0.0.1 for the tests: it verifies every request with the
`standardwebhooks` package's own verifier and answers as the test tells it to."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

HANG = -1
"""An answer that never comes in time: the handler waits `hang_s`, then answers 200."""
HOLD = -2
"""No answer at all: the request is held open until the receiver closes, then dropped."""


@dataclass
class Received:
    webhook_id: str
    verified: bool
    status: int
    body: dict[str, Any] | None
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def verifies_with(self, secret: str) -> bool:
        """Whether `standardwebhooks` accepts this request signed with `secret`."""
        try:
            Webhook(secret).verify(self.raw, self.headers)
        except WebhookVerificationError:
            return False
        return True


@dataclass
class Receiver:
    """What arrived, and how to answer next (`answers` first, then `default`)."""

    url: str = ""
    secret: str | None = None
    answers: list[int] = field(default_factory=list)
    default: int = 200
    hang_s: float = 3.0
    requests: list[Received] = field(default_factory=list)
    """Requests answered (or dropped), in the order their answers went."""
    arrived: list[str] = field(default_factory=list)
    """The `webhook-id` of every request, as it arrived (before it is answered)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)

    def next_answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else self.default

    @property
    def delivered(self) -> list[Received]:
        """Requests that verified and were answered 2xx: what the receiver accepted."""
        with self.lock:
            return [r for r in self.requests if r.verified and 200 <= r.status < 300]

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """Wait until `count` deliveries were accepted; fail the test after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while len(self.delivered) < count:
            assert time.monotonic() < deadline, f"only {self.delivered} of {count} arrived"
            await asyncio.sleep(0.05)
        return self.delivered

    async def wait_for_arrival(self, count: int, timeout_s: float = 30.0) -> list[str]:
        """Wait until `count` requests have arrived, answered or not."""
        deadline = time.monotonic() + timeout_s
        while len(self.arrived) < count:
            assert time.monotonic() < deadline, f"only {self.arrived} of {count} arrived"
            await asyncio.sleep(0.05)
        return list(self.arrived)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            data = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            body: dict[str, Any] | None = None
            verified = False
            if receiver.secret is not None:
                try:
                    body = Webhook(receiver.secret).verify(data, headers)
                    verified = True
                except WebhookVerificationError:
                    body = json.loads(data or b"null")
            with receiver.lock:
                receiver.arrived.append(headers.get("webhook-id", ""))
            status = receiver.next_answer()
            if status == HOLD:
                receiver.closing.wait()
                with receiver.lock:
                    receiver.requests.append(
                        Received(headers.get("webhook-id", ""), verified, HOLD, body, data, headers)
                    )
                return
            if status == HANG:
                time.sleep(receiver.hang_s)
                status = 200
            with receiver.lock:
                receiver.requests.append(
                    Received(headers.get("webhook-id", ""), verified, status, body, data, headers)
                )
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def running_receiver(port: int = 0, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (on `port`, or any free one) until the block ends;
    over https with `tls` (a server context holding its certificate)."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    receiver.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.closing.set()
        server.shutdown()
        server.server_close()
