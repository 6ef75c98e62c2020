"""The real server, as an operator runs it: `crm migrate`, `crm user create`, `crm serve`,
in a subprocess on a free loopback port with a fresh SQLite database of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SECRET_KEY = "live-server-secret-key-that-is-long-enough"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running `crm serve` and the environment its commands share."""

    url: str
    port: int
    env: dict[str, str]
    folder: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def crm(self, *args: str, input_text: str | None = None) -> str:
        """Run one `crm` command against this server's database; its standard output."""
        result = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
            [sys.executable, "-m", "crm.cli", *args],
            env=self.env,
            cwd=self.folder,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def crm_json(self, *args: str) -> dict[str, object]:
        record: dict[str, object] = json.loads(self.crm(*args, "--json"))
        return record

    def log(self) -> str:
        """What the server wrote so far (stdout and stderr)."""
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def live_server(folder: Path, **settings: str) -> Iterator[LiveServer]:
    """A migrated, running server; `settings` are extra `CRM_*` variables (without prefix)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CRM_DATABASE_URL": f"sqlite:///{folder / 'live.sqlite'}",
        "CRM_PUBLIC_URL": url,
        "CRM_SECRET_KEY": SECRET_KEY,
        "CRM_RECORDINGS_DIR": str(folder / "recordings"),
        "CRM_SECRET_KEY_FILE": str(folder / "secret-key"),
    }
    env.update({f"CRM_{name.upper()}": value for name, value in settings.items()})
    server = LiveServer(url=url, port=port, env=env, folder=folder)
    server.crm("migrate")
    with (folder / "server.log").open("wb") as log:
        server.process = subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "crm.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(server)
            yield server
        finally:
            server.process.terminate()
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=15)


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise AssertionError(f"crm serve exited early:\n{server.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"crm serve did not answer /health within 60 s:\n{server.log()}")
