"""A first run that explains itself: the real `crm` command in an empty folder, as a new
user types it, before and after `crm migrate`; and the lists an operator reads back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import DATABASE_URL
from tests.live_server import CRM, free_port

UNREACHABLE = "postgresql://crm:hunter2@127.0.0.1:1/crm"
"""A PostgreSQL URL nothing answers at (port 1), with a password never to be printed."""


def crm_env(**env: str) -> dict[str, str]:
    """The environment of a new user: no `CRM_*` variable but those given."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CRM_")}
    return {**clean, **env}


def crm(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `crm` in `folder` with only `env`'s settings."""
    return subprocess.run(  # noqa: S603 (our own command)
        [CRM, *args],
        cwd=folder,
        env=crm_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed, checked to be one line and no traceback."""
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "args", [("serve",), ("seed-demo",), ("user", "list"), ("apikey", "create", "--name", "x")]
)
def test_before_migrate_a_command_says_to_run_it_and_leaves_no_file(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    line = one_error_line(crm(tmp_path, *args))
    assert line == "Error: the database crm.sqlite does not exist: run `crm migrate` first"
    assert list(tmp_path.iterdir()) == []  # no empty crm.sqlite, no .crm-secret-key


def test_an_unmigrated_database_file_is_named_with_what_to_run(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "crm.sqlite").close()  # there, and empty
    line = one_error_line(crm(tmp_path, "seed-demo"))
    assert "the database sqlite:///crm.sqlite lacks" in line
    assert line.endswith("run `crm migrate` first")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["crm.sqlite"]


@pytest.mark.parametrize("args", [("migrate",), ("serve",), ("seed-demo",), ("client", "list")])
def test_an_unreachable_database_is_one_line_naming_it_without_its_password(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    line = one_error_line(crm(tmp_path, *args, CRM_DATABASE_URL=UNREACHABLE))
    assert line.startswith("Error: cannot reach the database postgresql://crm@127.0.0.1:1/crm: ")
    assert "hunter2" not in line
    assert list(tmp_path.iterdir()) == []


def test_a_database_url_of_a_missing_postgres_database_is_named(tmp_path: Path) -> None:
    if not DATABASE_URL.startswith("postgres"):
        pytest.skip("needs PostgreSQL (CRM_TEST_DATABASE_URL)")
    missing = DATABASE_URL.rsplit("/", 1)[0] + "/crm_no_such_database"
    line = one_error_line(crm(tmp_path, "serve", CRM_DATABASE_URL=missing))
    assert "crm_no_such_database" in line
    assert "does not exist" in line


def test_version_names_the_package_version(tmp_path: Path) -> None:
    done = crm(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.startswith("crm, version ")
    assert list(tmp_path.iterdir()) == []


def test_migrate_then_seed_demo_says_how_to_sign_in_and_get_credentials(tmp_path: Path) -> None:
    assert crm(tmp_path, "migrate").returncode == 0
    done = crm(tmp_path, "seed-demo", "--password", "demo password")
    assert done.returncode == 0, done.stderr
    tail = done.stdout.splitlines()[-3:]
    assert tail[0].startswith("Sign in: `crm serve`, then open http://127.0.0.1:8000/ as ")
    assert "alice.morgan@demo.example" in tail[0]
    assert "crm apikey create --name graphiql --scope crm:read" in tail[1]
    assert "/graphql" in tail[1]
    assert "crm apikey create --name ringotel --scope ringotel" in tail[2]
    assert "crm ringotel-json" in tail[2]
    random = crm(tmp_path, "seed-demo").stdout.splitlines()[-3]
    assert "crm user create --email you@example.com --admin" in random  # password unknown


def test_lists_are_tables_or_json_arrays_and_never_show_a_secret(tmp_path: Path) -> None:
    env = {"CRM_DATABASE_URL": DATABASE_URL, "CRM_SECRET_KEY_FILE": str(tmp_path / "key")}
    for name in ("empty user", "empty apikey", "empty client"):
        listed = crm(tmp_path, *name.split()[1:], "list", "--json", **env)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == []
    made = crm(tmp_path, "user", "create", "--email", "ann@example.com", "--password",
               "password one", "--extension", "101", "--admin", **env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = json.loads(crm(tmp_path, "apikey", "create", "--name", "prom", "--scope", "metrics",
                         "--json", **env).stdout)  # fmt: skip
    client = json.loads(crm(tmp_path, "client", "create", "--name", "Ringotel", "--json",
                            **env).stdout)  # fmt: skip
    assert crm(tmp_path, "apikey", "revoke", key["key_id"], **env).returncode == 0

    users = json.loads(crm(tmp_path, "user", "list", "--json", **env).stdout)
    assert [(u["email"], u["extension"], u["admin"], u["active"]) for u in users] == [
        ("ann@example.com", "101", True, True)
    ]
    keys = json.loads(crm(tmp_path, "apikey", "list", "--json", **env).stdout)
    assert [(k["key_id"], k["name"], k["scope"]) for k in keys] == [
        (key["key_id"], "prom", "metrics")
    ]
    assert keys[0]["revoked_at"] is not None
    clients = json.loads(crm(tmp_path, "client", "list", "--json", **env).stdout)
    assert [(c["client_id"], c["revoked_at"]) for c in clients] == [(client["client_id"], None)]

    table = crm(tmp_path, "apikey", "list", **env).stdout.splitlines()
    assert table[0].split() == ["key_id", "name", "scope", "created_at", "revoked_at"]
    assert table[1].split()[:3] == [key["key_id"], "prom", "metrics"]
    every_output = "".join(
        crm(tmp_path, *group, "list", *flag, **env).stdout
        for group in (("user",), ("apikey",), ("client",))
        for flag in ((), ("--json",))
    )
    for secret in (key["api_key"], client["client_secret"], "password one", "$argon2"):
        assert secret not in every_output
    assert "hash" not in every_output


def test_serve_with_a_port_makes_it_the_default_public_url(tmp_path: Path) -> None:
    env = {"CRM_DATABASE_URL": DATABASE_URL, "CRM_SECRET_KEY_FILE": str(tmp_path / "key")}
    port = free_port()
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 (our own command)
            [CRM, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=crm_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            document = wait_for_json(f"http://127.0.0.1:{port}/ringotel/integration.json", server)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert isinstance(document, dict)
    assert document["url"] == f"http://127.0.0.1:{port}"
    assert document["logo"] == f"http://127.0.0.1:{port}/ringotel/logo.svg"
    assert (
        f"Public URL (CRM_PUBLIC_URL, given to Ringotel): http://127.0.0.1:{port}"
        in (tmp_path / "server.log").read_text()
    )


def wait_for_json(url: str, server: subprocess.Popen[bytes]) -> object:
    """The JSON at `url` once the server answers it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            return httpx.get(url, timeout=2).raise_for_status().json()
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")
