"""A console import on one of two `crm serve` processes sharing a PostgreSQL database: the
other server reports its progress and its end, and refuses a second import of the kind
while it runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IS_POSTGRES
from tests.live_server import LiveServer, live_server, own_database

pytestmark = pytest.mark.skipif(
    not IS_POSTGRES, reason="several servers share PostgreSQL (SQLite is one process's)"
)

ROWS = 20_000
JOB = "query($id: ID!) { importJob(id: $id) { status total done imported rejected } }"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    folder = tmp_path_factory.mktemp("import-servers")
    shared = {"CRM_PUBLIC_URL": "http://crm.example.test"}
    with (
        own_database(folder, "import_servers") as url,
        live_server(folder / "a", database_url=url, **shared) as first,
        live_server(folder / "b", database_url=url, **shared) as second,
    ):
        yield first, second


def test_the_other_server_tells_an_import_s_progress_and_refuses_a_second(
    servers: tuple[LiveServer, LiveServer], tmp_path: Path
) -> None:
    first, second = servers
    key = first.api_key("crm:read", "crm:write")
    bearer = {"Authorization": f"Bearer {key}"}
    people = "first_name,phone\n" + "".join(
        f"P{n},+1 646 {555 + n // 10000:03d} {n % 10000:04d}\n" for n in range(ROWS)
    )
    with (
        httpx.Client(base_url=first.url, headers=bearer, timeout=60) as a,
        httpx.Client(base_url=second.url, headers=bearer, timeout=60) as b,
    ):
        started = a.post("/import/contacts", files={"file": ("people.csv", people.encode())})
        assert started.status_code == 202, started.text
        second_import = b.post("/import/contacts", files={"file": ("more.csv", b"first_name\nX\n")})
        assert second_import.status_code == 409, second_import.text
        asked = {"query": JOB, "variables": {"id": started.json()["id"]}}
        seen = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            answer = b.post("/graphql", json=asked)
            job = answer.json()["data"]["importJob"]
            seen.append(job["done"])
            if job["status"] != "RUNNING":
                break
            time.sleep(0.2)
        assert job == {
            "status": "DONE",
            "total": ROWS,
            "done": ROWS,
            "imported": ROWS,
            "rejected": 0,
        }
        assert any(0 < done < ROWS for done in seen), seen  # progress, as it went
