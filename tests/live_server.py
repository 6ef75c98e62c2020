"""A real `crm serve` process on a loopback port, for tests that need a server to kill or watch.

The server runs the installed `crm` command against the test database (SQLite or
PostgreSQL, from the conftest), in a folder of its own for recordings and its key
file. It can be killed with SIGKILL and started again on the same port and data,
and its resident memory and open file descriptors are read from `/proc`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

from tests.conftest import DATABASE_URL

CRM = str(Path(sys.executable).parent / "crm")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """One `crm serve` subprocess; `start`, `kill` (SIGKILL), `stop`, and `/proc` readings."""

    def __init__(self, folder: Path, **settings: str) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CRM_DATABASE_URL": DATABASE_URL,
            "CRM_PUBLIC_URL": self.url,
            "CRM_RECORDINGS_DIR": str(folder / "recordings"),
            "CRM_SECRET_KEY_FILE": str(folder / "secret-key"),
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def start(self, timeout_s: float = 30) -> None:
        """Start the server and wait until `/ready` answers 200."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self._log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own command and arguments)
            [CRM, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,  # the access log: one line per request, not needed here
            stderr=self._log,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}: {self.log()}"
                )
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not become ready: {self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no lifespan end; then reap the process."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        """End the server the ordinary way (SIGTERM), and SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            self._close_log()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self._close_log()

    def log(self) -> str:
        """The server's stderr so far (its errors and tracebacks)."""
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def rss_kib(self) -> int:
        """The server's resident memory now (`VmRSS`), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def open_fds(self) -> int:
        """How many file descriptors the server holds open now."""
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def cli(self, *args: str) -> Any:
        """Run a `crm` command on the server's settings; its `--json` output, parsed."""
        done = subprocess.run(  # noqa: S603 (our own command and arguments)
            [CRM, *args, "--json"],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return json.loads(done.stdout)

    def api_key(self, *scopes: str) -> str:
        """A new API key with `scopes`, made the way an operator makes one."""
        flags = [part for scope in scopes for part in ("--scope", scope)]
        key: str = self.cli("apikey", "create", "--name", "live-server tests", *flags)["api_key"]
        return key

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
