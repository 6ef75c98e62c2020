"""A server for a benchmark to measure: an app factory under one uvicorn worker on a free
loopback port, and what its process has used (CPU time, memory) read from `/proc`; and a
throw-away CRM on SQLite for the benchmarks that need no PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30
CRM = str(Path(sys.executable).parent / "crm")


def free_port() -> int:
    """A TCP port on HOST that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kib(self, field: str) -> int:
        """A memory figure of the server process from `/proc/PID/status` (`VmRSS`, `VmHWM`)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field} for {self.pid}")


@contextmanager
def serve(app: str, env: dict[str, str], *, access_log: bool = False) -> Iterator[Server]:
    """Run `app` (an app factory, `module:function`) until the block ends, from the repository
    root; uvicorn binds its port once the lifespan has started, so a connection means ready."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning"]
    if not access_log:
        command.append("--no-access-log")
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 (our own command)
    try:
        _wait_for(port, process)
        yield Server(port, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


@dataclass(frozen=True)
class ScratchCrm:
    """A CRM's environment on a migrated SQLite database in a temporary folder."""

    folder: Path
    env: dict[str, str]

    def crm(self, *args: str) -> str:
        """Run one `crm` command on this CRM; its standard output."""
        command = [CRM, *args]
        done = subprocess.run(  # noqa: S603 (our own command)
            command, env=self.env, cwd=self.folder, check=True, capture_output=True, text=True
        )
        return done.stdout

    def api_key(self) -> str:
        """A new API key with every scope, made the way an operator makes one."""
        key: str = json.loads(self.crm("apikey", "create", "--name", "bench", "--json"))["api_key"]
        return key


@contextmanager
def scratch_crm(**env: str) -> Iterator[ScratchCrm]:
    """A fresh CRM until the block ends; `env` holds extra `CRM_*` variables by full name."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        scratch = ScratchCrm(
            Path(tmp),
            {
                **os.environ,
                "CRM_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
                "CRM_RECORDINGS_URL": f"file://{tmp}/recordings",
                "CRM_SECRET_KEY": "bench-secret-key-not-used-for-anything-real",
                **env,
            },
        )
        scratch.crm("migrate")
        yield scratch
