"""The benchmark suite's reporting (`python -m bench`), on fabricated results: what it writes
and that the files agree. No figure is measured here and no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bench import profiling, suite
from bench.results_model import Check, Measurement, ScenarioResult, SuiteOptions

ROOT = Path(__file__).resolve().parent.parent


def _report(folder: Path) -> suite.Report:
    lookup = ScenarioResult(
        "find_contact",
        "1. FindContact vs asyncpg",
        [
            Measurement(f"{who}, 1,000 contacts", c, t, p50_ms=1.5, p99_ms=p99)
            for who, scale in (("CRM", 1.0), ("asyncpg", 2.0))
            for c, t, p99 in ((1, 300 * scale, 4.0 / scale), (8, 400 * scale, 30.0 / scale))
        ],
        [
            Check("throughput / asyncpg's", 0.5, 0.8, at_least=True),
            Check("p50 growth", 1.02, 1.1, at_least=False),
        ],
        ["fabricated"],
        profile="profiles/find_contact.svg",
    )
    upload = ScenarioResult(
        "recording_upload",
        "5. Recording upload vs dd",
        [Measurement("CRM, folder, raw", throughput=300.0, unit="MiB/s", extra={"rise": 1})],
        [Check("memory rise", 3.0, 64.0, at_least=False, unit="MiB")],
    )
    missing = ScenarioResult("call_logging", "call_logging", notes=["Not available."])
    options = replace(SuiteOptions(), results=folder, sizes=(1_000, 5_000), quick=True)
    machine: dict[str, str | int] = {
        "host": "h",
        "cpu": "a CPU",
        "cores": 2,
        "postgresql": "15",
        "python": "3.11",
        "commit": "abc",
    }
    return suite.Report(
        options, machine, [lookup, upload, missing], (1.0, 2.0, 3.0), (4.0, 5.0, 6.0), "now", 60.0
    )


def test_report_writes_consistent_json_markdown_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report = _report(tmp_path)

    written = suite.write(report)

    assert [p.name for p in written] == ["latest.json", "latest.md", "latest.png"]
    data = json.loads((tmp_path / "latest.json").read_text())
    assert data["load_average_before"] == [1.0, 2.0, 3.0]
    assert data["machine"]["cores"] == 2
    checks = [(c["name"], c["met"]) for s in data["scenarios"] for c in s["checks"]]
    assert checks == [
        ("throughput / asyncpg's", False),
        ("p50 growth", True),
        ("memory rise", True),
    ]
    assert [s["met"] for s in data["scenarios"]] == [False, True, True]
    table = (tmp_path / "latest.md").read_text()
    lookup = "| 1. FindContact vs asyncpg"
    assert f"{lookup} | throughput / asyncpg's | 0.50 | ≥ 0.80 | **no** |" in table
    assert f"{lookup} | p50 growth | 1.02 | ≤ 1.10 | yes |" in table
    assert "| 5. Recording upload vs dd | memory rise | 3.00 MiB | ≤ 64.00 MiB | yes |" in table
    assert "Not available." in table
    assert "quick form" in table
    assert "[profiles/find_contact.svg](profiles/find_contact.svg)" in table
    assert "latest.png" in table
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")


def test_report_without_concurrency_writes_no_plot(tmp_path: Path) -> None:
    report = _report(tmp_path)
    report.results = report.results[1:]

    written = suite.write(report)

    assert [p.name for p in written] == ["latest.json", "latest.md"]
    assert "latest.png" not in (tmp_path / "latest.md").read_text()


def test_options_quick_with_overrides_and_a_selection() -> None:
    options, names = suite.parse(["--quick", "--duration", "0.5", "--skip", "import_contacts"])

    assert options.quick
    assert options.sizes == suite.QUICK.sizes
    assert options.duration == 0.5
    assert "import_contacts" not in names
    assert names[0] == "find_contact"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "nothing"], "no scenario nothing"),
        (["--sizes", "1000"], "--sizes takes two sizes"),
        (["--concurrency", "1,x"], "--concurrency takes whole numbers"),
        (["--duration", "0"], "--duration must be above 0"),
    ],
)
def test_bad_options_stop_with_what_is_wrong(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        suite.parse(argv)

    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_scenario_not_written_is_not_available() -> None:
    result = suite.run_scenario("no_such_scenario", SuiteOptions())

    assert result.checks == []
    assert "Not available" in result.notes[0]


def test_own_time_sums_innermost_frames_of_collapsed_stacks() -> None:
    collapsed = "\n".join(
        ["main (a.py);work (a.py) 30", "main (a.py);wait (b.py) 10", "main (a.py);work (a.py) 20"]
    )

    top = profiling.own_time(collapsed)

    assert top == [("work (a.py)", 50 / 60), ("wait (b.py)", 10 / 60)]
    assert "work (a.py) 83%" in profiling.note(top)


def test_python_m_bench_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "--quick" in done.stdout
    assert "--only" in done.stdout
