"""`crm serve` in a subprocess on a free loopback port, with its log captured to a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import DATABASE_URL

START_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(tmp_path: Path, **env: str) -> Iterator[LiveServer]:
    """Run `crm serve` against the test database until the block ends; the log is kept."""
    port = free_port()
    log = tmp_path / "server.log"
    environment = {
        **os.environ,
        "CRM_DATABASE_URL": DATABASE_URL,
        "CRM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CRM_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
            [sys.executable, "-m", "crm.cli", "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(server, url, log)
            yield LiveServer(url, log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"crm serve exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"crm serve did not start: {log.read_text(errors='replace')}")
