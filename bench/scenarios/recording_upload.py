"""Scenario 5: a recording upload of `options.upload_mb` MiB (1 GiB by default) through
`POST /ringotel/v1/activities/{id}/recording`, into the local folder and into a bucket
(SeaweedFS started for the run), against `dd` of the same bytes to the same disk.

For each store and each body form (a raw body, `multipart/form-data`) the measuring is
`bench.recording_upload_memory`'s: a scratch CRM on PostgreSQL under uvicorn, its peak
resident memory mark reset before the upload and read after it. Right after each upload
the baseline copies a file of the same bytes (the same generated WAV) into the folder
where that store keeps its bytes with `dd bs=1M conv=fsync`, so both are timed under the
same load. Goals (issue #16): at least half of `dd`'s MiB/s, and a memory rise under
64 MiB, for each store and body form.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

from bench import profiling
from bench.recording_upload_memory import (
    BUDGET_MIB,
    CHUNK,
    KINDS,
    UploadServer,
    upload_server,
    wav_stream,
)
from bench.results_model import Check, Measurement, ScenarioResult, SuiteOptions

KEY = "recording_upload"
STORES = ("folder", "bucket")
RATIO = 0.5


def dd(source: Path, folder: Path) -> float:
    """Seconds for `dd` to copy `source` into `folder`, flushed to the disk."""
    target = folder / "dd-baseline.wav"
    folder.mkdir(parents=True, exist_ok=True)
    command = ["dd", f"if={source}", f"of={target}", "bs=1M", "conv=fsync", "status=none"]
    started = time.perf_counter()
    subprocess.run(command, check=True)  # noqa: S603 (dd, our own arguments)
    took = time.perf_counter() - started
    target.unlink()
    return took


def _write_source(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for piece in wav_stream(size):
            out.write(piece)


def _measure(
    crm: UploadServer, store: str, source: Path, size: int, result: ScenarioResult
) -> None:
    for kind in KINDS:
        done = crm.measure(kind, size)
        baseline = dd(source, crm.disk)
        dd_mib_s = size / CHUNK / baseline
        result.measurements += [
            Measurement(
                f"CRM, {store}, {kind}",
                throughput=done.mib_s,
                unit="MiB/s",
                extra={"memory rise MiB": round(done.rise_mib, 1), "seconds": done.seconds},
            ),
            Measurement(
                f"dd, {store}", throughput=dd_mib_s, unit="MiB/s", extra={"seconds": baseline}
            ),
        ]
        result.checks += [
            Check(f"MiB/s / dd's, {store}, {kind}", done.mib_s / dd_mib_s, RATIO, at_least=True),
            Check(
                f"memory rise, {store}, {kind}",
                done.rise_mib,
                BUDGET_MIB,
                at_least=False,
                unit="MiB",
            ),
        ]


def _profile(crm: UploadServer, options: SuiteOptions, size: int, result: ScenarioResult) -> None:
    """Profile the server over raw uploads for a few seconds."""

    def uploads(seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            crm.measure("raw", min(size, 256 * CHUNK))

    seconds = max(5.0, options.duration / 2)
    out = profiling.profile_path(options.results, KEY)
    top = asyncio.run(
        profiling.profile_while(
            crm.server.pid, seconds, out, lambda s: asyncio.to_thread(uploads, s)
        )
    )
    profiling.attach(result, options.results, top)


def run(options: SuiteOptions) -> ScenarioResult:
    size = options.upload_mb * CHUNK
    result = ScenarioResult(KEY, "5. Recording upload vs dd")
    with tempfile.TemporaryDirectory(prefix="crm-bench-dd-") as tmp:
        source = Path(tmp) / "same-bytes.wav"
        _write_source(source, size)
        for store in STORES:
            with upload_server(store, options.server, options.scratch_prefix) as crm:
                _measure(crm, store, source, size, result)
                if options.profile and not result.met and result.profile is None:
                    result.notes.append(f"Profiled over uploads into the {store}.")
                    _profile(crm, options, size, result)
    result.notes.insert(
        0,
        f"{options.upload_mb} MiB per upload; dd copies a file of the same bytes into the"
        " folder where the store keeps its bytes (bs=1M conv=fsync).",
    )
    return result
