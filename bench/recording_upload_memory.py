"""How much a large recording upload raises the server's peak memory.

Starts a real uvicorn server on 127.0.0.1 (SQLite, and a temporary folder or,
with `--store bucket`, a bucket of a SeaweedFS started for the run), creates one
call activity, warms the upload path with a small file, resets the
server's peak-RSS mark (Linux `/proc/PID/clear_refs`), then streams a generated
WAV of `--size-mb` MiB and reads the server's peak RSS (`VmHWM`). Does it for a
raw body and for `multipart/form-data`. The budget is 64 MiB over the baseline.

    .venv/bin/python -m bench.recording_upload_memory [--size-mb 1024] [--store bucket]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.server import Server, scratch_crm, serve
from tests.audio_samples import wav_header
from tests.s3_server import SeaweedFS

CHUNK = 1024 * 1024
BUDGET_MIB = 64
KINDS = ("raw", "multipart")


def wav_stream(total: int) -> Iterator[bytes]:
    """A PCM WAV file of exactly `total` bytes, generated chunk by chunk (silence)."""
    data = total - 44
    yield wav_header(data, channels=2, rate=44100)
    zeros = bytes(CHUNK)
    left = data
    while left > 0:
        piece = zeros if left >= CHUNK else zeros[:left]
        left -= len(piece)
        yield piece


def multipart_stream(total: int, boundary: str) -> Iterator[bytes]:
    yield (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="call.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    yield from wav_stream(total)
    yield f"\r\n--{boundary}--\r\n".encode()


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak RSS mark


def create_activity(http: httpx.Client, call_id: str) -> str:
    query = "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id } } }"
    variables = {"i": {"callId": call_id, "direction": "INBOUND"}}
    response = http.post("/graphql", json={"query": query, "variables": variables}, timeout=10)
    response.raise_for_status()
    activity_id: str = response.json()["data"]["createActivity"]["activity"]["id"]
    return activity_id


def upload(http: httpx.Client, activity_id: str, size: int, kind: str) -> httpx.Response:
    url = f"/ringotel/v1/activities/{activity_id}/recording"
    if kind == "raw":
        headers = {"Content-Type": "audio/wav", "Content-Length": str(size)}
        return http.post(url, content=wav_stream(size), headers=headers, timeout=600)
    boundary = "bench-boundary-7d1f"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return http.post(url, content=multipart_stream(size, boundary), headers=headers, timeout=600)


@dataclass(frozen=True)
class Upload:
    """One upload's figures: the server's memory before and at its peak, and its speed."""

    kind: str
    baseline_mib: float
    peak_mib: float
    seconds: float
    size: int

    @property
    def rise_mib(self) -> float:
        return self.peak_mib - self.baseline_mib

    @property
    def mib_s(self) -> float:
        return self.size / CHUNK / self.seconds


@contextmanager
def store_env(store: str) -> Iterator[tuple[dict[str, str], Path | None]]:
    """The variables that keep recordings in `store` (the scratch folder, or a new bucket),
    and the disk folder the bucket keeps its bytes in (None for the scratch folder)."""
    if store == "folder":
        yield {}, None
        return
    with tempfile.TemporaryDirectory(prefix="crm-bench-s3-") as tmp:
        weed = SeaweedFS(Path(tmp))
        try:
            s3 = weed.start()
            yield s3.env(asyncio.run(s3.new_bucket())), Path(tmp)
        finally:
            weed.stop()


@contextmanager
def upload_server(
    store: str, postgres: str | None = None, prefix: str = "crm_bench"
) -> Iterator[UploadServer]:
    """A scratch CRM (SQLite, or a database `<prefix>_...` on `postgres`) that keeps
    recordings in `store`, served, with a client holding its key."""
    limit = str(2_000_000_000)
    with (
        store_env(store) as (env, disk),
        scratch_crm(postgres, prefix=prefix, CRM_RECORDING_MAX_BYTES=limit, **env) as scratch,
        serve("facade.app:create_app", scratch.env, access_log=True) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {scratch.api_key()}"}
        ) as http,
    ):
        yield UploadServer(server, http, disk or scratch.folder / "recordings")


@dataclass(frozen=True)
class UploadServer:
    server: Server
    http: httpx.Client
    disk: Path
    """A folder on the disk where the store keeps the recordings' bytes."""

    def measure(self, kind: str, size: int) -> Upload:
        """Upload `size` bytes as a `kind` body (raw or multipart) after a small warm-up one,
        with the server's peak memory mark reset in between."""
        activity_id = create_activity(self.http, f"bench-{kind}-{uuid.uuid4().hex}")
        upload(self.http, activity_id, 4 * CHUNK, kind).raise_for_status()  # warm up
        reset_peak(self.server.pid)
        baseline = self.server.kib("VmRSS") / 1024
        started = time.perf_counter()
        response = upload(self.http, activity_id, size, kind)
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        assert response.json()["size"] == size, response.text
        return Upload(kind, baseline, self.server.kib("VmHWM") / 1024, elapsed, size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="upload size in MiB")
    parser.add_argument("--store", choices=["folder", "bucket"], default="folder")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024

    with upload_server(args.store) as crm:
        print(f"upload of {args.size_mb} MiB to uvicorn pid {crm.server.pid}, into a {args.store}")
        print(f"{'body':<10} {'baseline MiB':>13} {'peak MiB':>9} {'rise MiB':>9} {'MiB/s':>7}")
        worst = 0.0
        for kind in KINDS:
            done = crm.measure(kind, size)
            worst = max(worst, done.rise_mib)
            print(
                f"{kind:<10} {done.baseline_mib:>13.1f} {done.peak_mib:>9.1f}"
                f" {done.rise_mib:>9.1f} {done.mib_s:>7.0f}"
            )
    verdict = "within" if worst <= BUDGET_MIB else "OVER"
    print(f"largest rise {worst:.1f} MiB: {verdict} the {BUDGET_MIB} MiB budget")
    return 0 if worst <= BUDGET_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
