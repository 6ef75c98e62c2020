"""The real server, as an operator runs it: `crm serve` in a subprocess on a free loopback
port, for the tests that need real sockets, a real browser, a process to kill or to watch.

By default the server uses the test database (SQLite or PostgreSQL, from the conftest);
a test whose server outlives one test (a module-scoped fixture) gives it a database of
its own, since the conftest empties the test database before every test. The server's
standard output and error (the access log, warnings, tracebacks) go to `server.log` in its
folder; it can be stopped, SIGKILLed and started again on the same port and data, and its
resident memory and open file descriptors are read from `/proc`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from tests.conftest import DATABASE_URL, IS_POSTGRES

CRM = str(Path(sys.executable).parent / "crm")
START_TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """One `crm serve` subprocess; `env` holds extra `CRM_*` variables by their full names."""

    def __init__(self, folder: Path, *, database_url: str = DATABASE_URL, **env: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.serve_args: tuple[str, ...] = ()
        """More options of `crm serve` (`--workers 2`), set before `start`."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CRM_DATABASE_URL": database_url,
            "CRM_PUBLIC_URL": self.url,
            "CRM_RECORDINGS_URL": f"file://{folder / 'recordings'}",
            "CRM_SECRET_KEY_FILE": str(folder / "secret-key"),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        if database_url != DATABASE_URL:
            self.crm("migrate")  # the test database is migrated by the conftest

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the server and wait until `/ready` answers 200."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own command and arguments)
            [CRM, "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.serve_args],
            env=self.env,
            cwd=self.folder,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"the server exited with {code}: {self.log()}")
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
        """What the server wrote so far: its access log, warnings and any traceback."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rss_kib(self) -> int:
        """The server's resident memory now (`VmRSS`), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def open_fds(self) -> int:
        """How many file descriptors the server holds open now."""
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def crm(self, *args: str, input_text: str | None = None) -> str:
        """Run one `crm` command on the server's settings; its standard output."""
        done = subprocess.run(  # noqa: S603 (our own command and arguments)
            [CRM, *args],
            env=self.env,
            cwd=self.folder,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def crm_json(self, *args: str) -> Any:
        """Run a `crm` command with `--json`; its output, parsed."""
        return json.loads(self.crm(*args, "--json"))

    def api_key(self, *scopes: str) -> str:
        """A new API key with `scopes`, made the way an operator makes one."""
        flags = [part for scope in scopes for part in ("--scope", scope)]
        key: str = self.crm_json("apikey", "create", "--name", "live-server tests", *flags)[
            "api_key"
        ]
        return key

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def live_server(
    folder: Path, *, database_url: str = DATABASE_URL, **env: str
) -> Iterator[LiveServer]:
    """A running server until the block ends; `env` as for `LiveServer`."""
    server = LiveServer(folder, database_url=database_url, **env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def own_sqlite(folder: Path) -> str:
    """A SQLite database of its own in `folder`, for a server that outlives one test."""
    return f"sqlite:///{folder / 'live.sqlite'}"


@contextmanager
def own_database(folder: Path, label: str) -> Iterator[str]:
    """A database of its own on the test database's engine, for a server that outlives one
    test: a SQLite file in `folder`, or on PostgreSQL `<test database>_<label>`, dropped
    afterwards. The server migrates it when it is made (see `LiveServer`)."""
    if not IS_POSTGRES:
        yield own_sqlite(folder)
        return
    parts = urlsplit(DATABASE_URL)
    name = f"{parts.path.lstrip('/')}_{label}"
    admin = urlunsplit(parts._replace(path="/postgres"))

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(run(f"CREATE DATABASE {name}"))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
