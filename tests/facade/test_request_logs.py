"""Structured logs of `crm serve`: one JSON object a line for the app, uvicorn and the
libraries alike, a request line with its id, route, status, duration and credential;
an incoming `X-Request-ID` kept only when sane; `console` and the level obeyed."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from facade.app import create_app
from tests.conftest import make_settings
from tests.live_server import LiveServer, live_server

MADE_ID = re.compile(r"^[0-9a-f]{32}$")


def json_lines(server: LiveServer) -> list[dict[str, Any]]:
    """The server's log after `crm serve`'s banner, each line parsed (failing on any other)."""
    lines = [line for line in server.log().splitlines() if line.strip()]
    banner = [line for line in lines if not line.startswith("{")]
    assert all(": " in line and "http://" in line for line in banner), banner  # the URLs
    return [json.loads(line) for line in lines if line.startswith("{")]


def request_lines(server: LiveServer, path: str) -> list[dict[str, Any]]:
    return [
        line for line in json_lines(server) if line["event"] == "request" and line["path"] == path
    ]


def test_json_lines_carry_time_level_request_id_route_status_and_credential(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path, CRM_LOG_FORMAT="json") as server:
        key = server.api_key("ringotel")
        kept = "trace-42.a:b/c=d"
        answer = httpx.get(
            f"{server.url}/ringotel/v1/users",
            headers={"Authorization": f"Bearer {key}", "X-Request-ID": kept},
        )
        assert answer.status_code == 200
        assert answer.headers["x-request-id"] == kept
        hostile = {
            "too long": "a" * 129,
            "a quote": 'id"},"level":"critical',
            "spaces": "an id with spaces",
            "empty": "",
        }
        made = {}
        for name, sent in hostile.items():
            response = httpx.get(f"{server.url}/health", headers={"X-Request-ID": sent})
            assert response.status_code == 200
            made[name] = response.headers["x-request-id"]
            assert MADE_ID.match(made[name]), (name, made[name])
        fresh = httpx.get(f"{server.url}/health").headers["x-request-id"]
        unrouted = httpx.get(f"{server.url}/nowhere/{'x' * 10}", headers={"X-Request-ID": kept})
        assert unrouted.status_code == 404
        assert unrouted.headers["x-request-id"] == kept
        assert httpx.get(f"{server.url}/ringotel/v1/users").status_code == 403

    lines = json_lines(server)
    for line in lines:
        assert {"time", "level", "logger", "event"} <= set(line), line
        assert line["time"].endswith("Z")
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "crm.http"} <= loggers  # the server's lines share the format
    (users,) = [
        line for line in request_lines(server, "/ringotel/v1/users") if line["status"] == 200
    ]
    assert users["request_id"] == kept
    assert users["route"] == "/ringotel/v1/users"
    assert users["method"] == "GET"
    assert users["level"] == "info"
    assert users["hook"] == "Users"
    assert isinstance(users["duration_ms"], float)
    assert users["credential_kind"] == "apikey"
    assert users["credential_id"].startswith("apikey:")
    assert key not in server.log()
    assert key.removeprefix("crmk_").partition("_")[2] not in server.log()  # its secret
    health_ids = [line["request_id"] for line in request_lines(server, "/health")]
    assert sorted(health_ids) == sorted([*made.values(), fresh])
    assert not any(sent in server.log() for sent in hostile.values() if sent)
    (nowhere,) = [line for line in json_lines(server) if line.get("route") == "unmatched"]
    assert (nowhere["status"], nowhere["request_id"]) == (404, kept)
    refused = [
        line for line in request_lines(server, "/ringotel/v1/users") if line["status"] == 403
    ]
    assert len(refused) == 1
    assert "credential_id" not in refused[0]


def test_console_lines_and_the_level_are_obeyed(tmp_path: Path) -> None:
    with live_server(tmp_path / "console", CRM_LOG_FORMAT="console") as server:
        assert httpx.get(f"{server.url}/health", headers={"X-Request-ID": "r-1"}).status_code == 200
    console = server.log()
    assert not [line for line in console.splitlines() if line.startswith("{")]
    (line,) = [line for line in console.splitlines() if "request_id=r-1" in line]
    assert "request" in line
    assert "route=/health" in line
    assert "status=200" in line

    with live_server(tmp_path / "quiet", CRM_LOG_FORMAT="json", CRM_LOG_LEVEL="warning") as server:
        assert httpx.get(f"{server.url}/health").status_code == 200
    assert not [line for line in json_lines(server) if line["level"] == "info"]


def test_a_bad_log_setting_stops_serve_with_one_line(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, CRM_LOG_FORMAT="xml")
    with pytest.raises(RuntimeError, match="exited with 1") as failed:
        server.start(timeout_s=30)
    assert "Error: CRM_LOG_FORMAT: Input should be 'json' or 'console'" in str(failed.value)
    assert "Traceback" not in server.log()


def long_lived_threads() -> list[str]:
    """The threads alive now, but aiosqlite's connection threads (each ends as its
    connection closes, which may be a moment after the app stopped)."""
    return [t.name for t in threading.enumerate() if "_connection_worker" not in t.name]


async def test_building_and_running_apps_starts_no_logging_thread(tmp_path: Path) -> None:
    async def run_app(number: int) -> None:
        app: Any = create_app(make_settings(tmp_path / str(number)))
        async with LifespanManager(app):
            pass

    await run_app(0)
    before = long_lived_threads()
    for number in range(1, 6):
        await run_app(number)
    # None started (others may have ended): Litestar's default logging config started a
    # QueueListener thread (`_monitor`) for each app.
    assert set(long_lived_threads()) <= set(before)
