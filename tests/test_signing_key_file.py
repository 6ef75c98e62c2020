"""Signing keys: every key carries at least 32 bytes, and the key file is made safely once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from crm.cli import main
from crm.settings import SettingsError, load_settings

GOOD = "g" * 32


@pytest.mark.parametrize("content", ["", "\n", "   \t \n", "short-key\n", "é" * 15 + "\n"])
def test_a_key_file_without_32_bytes_stops_with_one_line_naming_the_file(
    tmp_path: Path, content: str
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(content, encoding="utf-8")
    settings = load_settings(secret_key="", secret_key_file=key_file)
    with pytest.raises(SettingsError) as caught:
        settings.signing_key()
    message = str(caught.value)
    assert message.startswith(f"CRM_SECRET_KEY_FILE {key_file}: the key needs at least 32 bytes")
    assert "\n" not in message
    with pytest.raises(SettingsError):
        settings.jwt_signing_keys()  # the token signer is never built on it either


def test_a_key_file_with_32_bytes_after_stripping_is_used(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"  {GOOD}\n")
    assert load_settings(secret_key="", secret_key_file=key_file).signing_key() == GOOD


def test_an_unreadable_key_file_stops_with_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.mkdir()
    with pytest.raises(SettingsError, match=r"^CRM_SECRET_KEY_FILE .*: cannot be read"):
        load_settings(secret_key="", secret_key_file=key_file).signing_key()


@pytest.mark.parametrize("value", ["a", " " * 40, "x" * 31, "x" * 31 + " \n", "é" * 15])
def test_a_secret_key_under_32_bytes_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(secret_key=value)
    assert str(caught.value).startswith("CRM_SECRET_KEY: the key needs at least 32 bytes")


def test_a_secret_key_is_stripped(tmp_path: Path) -> None:
    settings = load_settings(secret_key=f" {GOOD}\n", secret_key_file=tmp_path / "key")
    assert settings.signing_key() == GOOD


@pytest.mark.parametrize("key", ["", "   ", "x" * 31, " " * 20 + "x" * 20])
def test_every_jwt_key_needs_32_bytes_after_stripping(key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(jwt_keys=json.dumps({"2026a": GOOD, "2026b": key}))
    assert str(caught.value).startswith("CRM_JWT_KEYS: key '2026b' needs at least 32 bytes")


def test_crm_serve_stops_on_a_short_key_with_one_line() -> None:
    result = CliRunner().invoke(main, ["serve"], env={"CRM_SECRET_KEY": "a"})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith("Error: CRM_SECRET_KEY: the key needs at least 32 bytes")


def test_crm_serve_stops_on_an_empty_key_file_with_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("\n")
    env = {"CRM_SECRET_KEY": "", "CRM_SECRET_KEY_FILE": str(key_file)}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: CRM_SECRET_KEY_FILE {key_file}: the key needs at least 32 bytes, has 0"
        " (delete the file to generate one)"
    )


def test_a_new_key_file_is_private_and_holds_one_whole_key(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    old_umask = os.umask(0)  # the most permissive umask: the mode must not rely on it
    try:
        key = load_settings(secret_key="", secret_key_file=key_file).signing_key()
    finally:
        os.umask(old_umask)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text() == key + "\n"
    assert len(key.encode()) >= 32
    assert [path.name for path in tmp_path.iterdir()] == ["key"]  # no temporary file left


def test_threads_racing_to_create_the_key_file_end_with_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    racers = 16
    start = threading.Barrier(racers)
    keys: list[str] = []
    errors: list[BaseException] = []

    def race() -> None:
        start.wait()
        try:
            keys.append(load_settings(secret_key="", secret_key_file=key_file).signing_key())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(keys) == racers
    assert set(keys) == {key_file.read_text().strip()}


_WORKER = """
import sys, time
from pathlib import Path
from crm.settings import load_settings
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(load_settings(secret_key="", secret_key_file=Path(sys.argv[1])).signing_key())
"""


def test_worker_processes_starting_at_once_end_with_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    go = tmp_path / "go"
    env = {**os.environ, "CRM_SECRET_KEY": ""}
    workers = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", _WORKER, str(key_file), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(6)
    ]
    go.touch()  # every worker has imported the settings and waits for this
    answers = [worker.communicate(timeout=60) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * len(workers), answers
    assert {out.strip() for out, _ in answers} == {key_file.read_text().strip()}
    assert key_file.stat().st_mode & 0o777 == 0o600
