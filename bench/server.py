"""A server for a benchmark to measure: an app factory under one uvicorn worker on a free
loopback port, or `crm serve` with its workers, and what its processes have used (CPU
time, memory) read from `/proc`; and a throw-away CRM, on SQLite or on a fresh
PostgreSQL database."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

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
        """User and system CPU time the server process and its workers have used so far."""
        return sum(_cpu_seconds(pid) for pid in (self.pid, *_children(self.pid)))

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


@contextmanager
def crm_serve(env: dict[str, str], *, workers: int = 1) -> Iterator[Server]:
    """Run `crm serve` (the CRM as it is deployed: its server settings, its workers) on a
    free port until the block ends; ready once every worker has started its lifespan."""
    port = free_port()
    command = [CRM, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    public = {"CRM_PUBLIC_URL": f"http://{HOST}:{port}"}  # the console's origin
    process = subprocess.Popen(  # noqa: S603 (our own command)
        command,
        env=public | env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        deadline = time.monotonic() + START_TIMEOUT_S
        while workers > 1 and len(_children(process.pid)) < workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"{workers} workers did not start")
            time.sleep(0.1)
        time.sleep(1 if workers > 1 else 0)  # the last worker's lifespan
        yield Server(port, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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

    def api_key(self, *scopes: str) -> str:
        """A new API key (the default scopes, or `scopes`), made the way an operator makes one."""
        command = ["apikey", "create", "--name", "bench", "--json"]
        for scope in scopes:
            command += ["--scope", scope]
        key: str = json.loads(self.crm(*command))["api_key"]
        return key


@contextmanager
def scratch_crm(
    postgres: str | None = None, *, prefix: str = "crm_bench", **env: str
) -> Iterator[ScratchCrm]:
    """A fresh CRM until the block ends: on SQLite in a temporary folder, or, given a
    PostgreSQL server's URL (`postgresql://user@host:5432`), on a database of its own named
    `<prefix>_<random>` that is dropped afterwards; `env` holds extra `CRM_*` variables by
    full name."""
    with (
        tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp,
        _database(tmp, postgres, prefix) as url,
    ):
        scratch = ScratchCrm(
            Path(tmp),
            {
                **os.environ,
                "CRM_DATABASE_URL": url,
                "CRM_RECORDINGS_URL": f"file://{tmp}/recordings",
                "CRM_SECRET_KEY": "bench-secret-key-not-used-for-anything-real",
                **env,
            },
        )
        scratch.crm("migrate")
        yield scratch


@contextmanager
def _database(folder: str, postgres: str | None, prefix: str) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{folder}/bench.sqlite"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(postgres)
    admin = urlunsplit(parts._replace(path="/postgres"))
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
