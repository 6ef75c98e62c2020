"""How much a large recording upload raises the server's peak memory.

Starts a real uvicorn server on 127.0.0.1 (SQLite, a temporary folder), creates
one call activity, warms the upload path with a small file, resets the
server's peak-RSS mark (Linux `/proc/PID/clear_refs`), then streams a generated
WAV of `--size-mb` MiB and reads the server's peak RSS (`VmHWM`). Does it for a
raw body and for `multipart/form-data`. The budget is 64 MiB over the baseline.

    .venv/bin/python bench/recording_upload_memory.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CHUNK = 1024 * 1024
BUDGET_MIB = 64
ROOT = Path(__file__).resolve().parent.parent


def wav_stream(total: int) -> Iterator[bytes]:
    """A PCM WAV file of exactly `total` bytes, generated chunk by chunk (silence)."""
    data = total - 44
    yield (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 2, 44100, 176400, 4, 16)
        + b"data"
        + struct.pack("<I", data)
    )
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


def proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak RSS mark


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become ready")


def create_activity(base: str, call_id: str) -> str:
    query = "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id } } }"
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": {"i": {"callId": call_id, "direction": "INBOUND"}}},
        timeout=10,
    )
    response.raise_for_status()
    activity_id: str = response.json()["data"]["createActivity"]["activity"]["id"]
    return activity_id


def upload(base: str, activity_id: str, size: int, kind: str) -> httpx.Response:
    url = f"{base}/ringotel/v1/activities/{activity_id}/recording"
    if kind == "raw":
        headers = {"Content-Type": "audio/wav", "Content-Length": str(size)}
        return httpx.post(url, content=wav_stream(size), headers=headers, timeout=600)
    boundary = "bench-boundary-7d1f"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return httpx.post(url, content=multipart_stream(size, boundary), headers=headers, timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="upload size in MiB")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        env = {
            **os.environ,
            "CRM_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "CRM_RECORDINGS_DIR": f"{tmp}/recordings",
            "CRM_SECRET_KEY": "bench-secret-key-not-used-for-anything-real",
            "CRM_RECORDING_MAX_BYTES": str(2_000_000_000),
        }
        crm = str(Path(sys.executable).parent / "crm")
        migrate = [crm, "migrate"]
        subprocess.run(migrate, env=env, check=True, cwd=tmp, capture_output=True)  # noqa: S603
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                *(sys.executable, "-m", "uvicorn", "facade.app:create_app", "--factory"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            wait_ready(base, server)
            print(f"upload of {args.size_mb} MiB to uvicorn pid {server.pid}")
            print(f"{'body':<10} {'baseline MiB':>13} {'peak MiB':>9} {'rise MiB':>9} {'MiB/s':>7}")
            worst = 0.0
            for kind in ("raw", "multipart"):
                activity_id = create_activity(base, f"bench-{kind}")
                upload(base, activity_id, 4 * CHUNK, kind).raise_for_status()  # warm up
                reset_peak(server.pid)
                baseline = proc_kib(server.pid, "VmRSS") / 1024
                started = time.perf_counter()
                response = upload(base, activity_id, size, kind)
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                assert response.json()["size"] == size, response.text
                peak = proc_kib(server.pid, "VmHWM") / 1024
                rise = peak - baseline
                worst = max(worst, rise)
                speed = args.size_mb / elapsed
                print(f"{kind:<10} {baseline:>13.1f} {peak:>9.1f} {rise:>9.1f} {speed:>7.0f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    verdict = "within" if worst <= BUDGET_MIB else "OVER"
    print(f"largest rise {worst:.1f} MiB: {verdict} the {BUDGET_MIB} MiB budget")
    return 0 if worst <= BUDGET_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
