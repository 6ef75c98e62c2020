"""The console's CSV import and export over HTTP: the file routes, their permissions and
the console's cross-site checks, hostile files refused before anything is written, one
import of a kind at a time, and jobs left running by a dead server marked failed."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.bulk_import import KINDS
from crm.csv_files import MAX_LINE_CHARS, open_import
from crm.domain.csv_format import CONTACTS
from crm.domain.import_jobs import LOST, STALE_S
from crm.domain.validation import now
from crm.import_runner import BATCH_ROWS, STOPPED, ImportRunner
from crm.settings import Settings
from crm.tables import Contact, ImportJob, ImportReject
from tests.conftest import make_settings
from tests.facade.test_console_session import CONSOLE, make_agent, sign_in
from tests.graphql.crm_records import create_contact
from tests.graphql_client import gql, gql_errors

JOB = """query($id: ID!) { importJob(id: $id) {
  kind fileName status total done imported merged rejected error rejectsUrl startedBy { email }
} }"""
GOOD = (
    "first_name,last_name,email,phone_mobile\n"
    "Ada,Lovelace,ada@example.com,+44 20 7946 0018\n"
    "Alan,Turing,alan@example.com,+44 1908 640404\n"
    "Bad,Number,bad@example.com,no digits here\n"
)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The test app's settings; a test parametrized with a number gets that upload limit."""
    limit = getattr(request, "param", None)
    return make_settings(tmp_path, **({} if limit is None else {"import_max_bytes": limit}))


def form(data: bytes | str, name: str = "people.csv") -> dict[str, Any]:
    content = data.encode() if isinstance(data, str) else data
    return {"files": {"file": (name, content, "text/csv")}}


async def finished(app: Litestar, client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    await app.state.import_runner.wait()
    job: dict[str, Any] = (await gql(client, JOB, {"id": job_id}))["importJob"]
    return job


async def nothing_written() -> None:
    assert await Contact.count() == 0
    assert await ImportJob.count() == 0
    assert await ImportReject.count() == 0


async def test_an_upload_is_imported_in_the_background_and_its_rejects_downloaded(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    started = await client.post("/import/contacts", **form(GOOD))
    assert started.status_code == 202, started.text
    assert started.json()["total"] == 3
    assert started.json()["file_name"] == "people.csv"
    job = await finished(app, client, started.json()["id"])
    assert job | {"rejectsUrl": ""} == {
        "kind": "CONTACTS",
        "fileName": "people.csv",
        "status": "DONE",
        "total": 3,
        "done": 3,
        "imported": 2,
        "merged": 0,
        "rejected": 1,
        "error": None,
        "rejectsUrl": "",
        "startedBy": None,  # an API key is nobody
    }
    rejects = await client.get(job["rejectsUrl"])
    assert rejects.status_code == 200
    assert rejects.headers["content-type"].startswith("text/csv")
    assert rejects.headers["content-disposition"] == 'attachment; filename="people.rejects.csv"'
    rows = list(csv.reader(io.StringIO(rejects.text)))
    assert rows[0] == ["line", "reason"]
    assert [row[0] for row in rows[1:]] == ["4"]
    assert "phone_mobile" in rows[1][1]
    names = {row.last_name for row in await Contact.objects()}
    assert names == {"Lovelace", "Turing"}


async def test_a_file_of_several_batches_is_checked_in_a_worker_process(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    lines = BATCH_ROWS + 200
    body = "first_name,last_name,phone\n" + "".join(
        f"P{n},Row,+1 212 555 {n:04d}\n" for n in range(lines)
    )
    started = await client.post("/import/contacts", **form(body))
    assert started.status_code == 202, started.text
    job = await finished(app, client, started.json()["id"])
    assert (job["status"], job["done"], job["imported"]) == ("DONE", lines, lines)


async def test_an_endless_line_rejects_its_row_and_the_rest_go_in(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    body = "first_name,notes\nHuge," + "x" * (MAX_LINE_CHARS + 10) + "\nAda,fine\n"
    started = await client.post("/import/contacts", **form(body))
    assert started.status_code == 202, started.text
    job = await finished(app, client, started.json()["id"])
    assert (job["status"], job["imported"], job["rejected"]) == ("DONE", 1, 1)
    rejects = (await client.get(job["rejectsUrl"])).text.splitlines()
    assert rejects[1] == f"2,row: a line longer than {MAX_LINE_CHARS} characters"
    assert [row.first_name for row in await Contact.objects()] == ["Ada"]


async def test_export_is_an_attachment_in_the_command_s_format(client: httpx.AsyncClient) -> None:
    await create_contact(
        client,
        firstName="=cmd",
        lastName="Ålander",
        notes="two\nlines",
        phones=[{"number": "+44 20 7946 0018", "kind": "MOBILE"}],
    )
    answer = await client.get("/export/contacts")
    assert answer.status_code == 200
    today = now().date().isoformat()
    assert answer.headers["content-disposition"] == f'attachment; filename="contacts-{today}.csv"'
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.decode() == (
        "first_name,last_name,email,company,job_title,owner_email,notes,phone_mobile\r\n"
        '\'=cmd,Ålander,,,,,"two\nlines",+44 20 7946 0018\r\n'
    )
    companies = await client.get("/export/companies")
    assert companies.status_code == 200
    assert companies.text.startswith("name,website,address,owner_email")


BAD_FILES = [
    pytest.param(b"", "the file is empty", id="empty"),
    pytest.param(b"first_name\nJos\xe9\n", "not UTF-8 text (byte 0xe9 on line 2)", id="latin-1"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text", id="not-a-csv"),
    pytest.param(b"hello there\n", "no header row", id="no-header"),
    pytest.param(b"first_name\tlast_name\nA\tB\n", "separated by tab", id="tab"),
    pytest.param(b"nickname,phone\nA,1\n", "unknown column 'nickname'", id="unknown-column"),
    pytest.param(b"first_name" + b"x" * 70_000, "the first line is longer than", id="huge-line"),
]


@pytest.mark.parametrize(("data", "says"), BAD_FILES)
async def test_a_bad_file_is_refused_with_its_one_line_before_anything_is_written(
    client: httpx.AsyncClient, data: bytes, says: str
) -> None:
    answer = await client.post("/import/contacts", **form(data, "old crm.csv"))
    assert answer.status_code == 422, answer.text
    message = answer.json()["message"]
    assert message.startswith("old crm.csv: "), message
    assert says in message
    assert "\n" not in message
    assert "crm-import-" not in message  # where the server kept it is its own business
    await nothing_written()


@pytest.mark.parametrize("settings", [1000], indirect=True)
async def test_an_upload_over_the_limit_is_answered_413_and_writes_nothing(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    body = "first_name\n" + "Ada\n" * 400
    answer = await client.post("/import/contacts", **form(body))
    assert answer.status_code == 413, answer.text
    assert "CRM_IMPORT_MAX_BYTES" in answer.json()["message"]
    await nothing_written()
    announced = await client.post(
        "/import/contacts",
        content=b"--b\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": "99999999"},
    )
    assert announced.status_code == 413, announced.text  # refused before the body is read
    small = await client.post("/import/contacts", **form("first_name\nAda\n"))
    assert small.status_code == 202, small.text
    await app.state.import_runner.wait()
    assert await Contact.count() == 1


async def test_a_body_that_is_no_form_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/import/contacts", content=b"first_name\nAda\n", headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 422
    assert "multipart/form-data" in answer.json()["message"]
    no_part = await client.post("/import/contacts", files={"other": ("a.csv", b"first_name\n")})
    assert no_part.status_code == 422
    assert "'file'" in no_part.json()["message"]
    await nothing_written()


async def test_an_unknown_kind_or_job_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/export/users")).status_code == 404
    assert (await client.post("/import/users", **form(GOOD))).status_code == 404
    assert (await client.get("/imports/not-an-id/rejects")).status_code == 404
    unknown = "0190d6a0-0000-7000-8000-000000000000"
    assert (await client.get(f"/imports/{unknown}/rejects")).status_code == 404
    errors = await gql_errors(client, JOB, {"id": unknown})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_second_import_of_a_kind_waits_for_the_first(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    running = await app.state.services.import_jobs.begin("contacts", "first.csv", 10, None)
    refused = await client.post("/import/contacts", **form(GOOD))
    assert refused.status_code == 409
    assert "an import of contacts is running" in refused.json()["message"]
    assert await Contact.count() == 0
    other_kind = await client.post("/import/companies", **form("name\nAcme\n"))
    assert other_kind.status_code == 202, other_kind.text
    await app.state.import_runner.wait()
    with pytest.raises(Exception, match="running"):
        await app.state.services.import_jobs.begin("contacts", "again.csv", 1, None)
    assert (await ImportJob.objects().where(ImportJob.id == running.id).first()) is not None


async def test_a_job_whose_server_died_is_failed_and_keeps_no_one_out(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    dead = await app.state.services.import_jobs.begin("contacts", "first.csv", 10, None)
    await ImportJob.update({ImportJob.heartbeat_at: now() - timedelta(seconds=STALE_S + 1)}).where(
        ImportJob.id == dead.id
    )
    job = (await gql(client, JOB, {"id": str(dead.id)}))["importJob"]
    assert (job["status"], job["error"]) == ("FAILED", LOST)
    started = await client.post("/import/contacts", **form(GOOD))
    assert started.status_code == 202, started.text
    await app.state.import_runner.wait()


async def test_reading_may_export_but_only_writing_may_import(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    services = app.state.services
    _, reader = await services.credentials.create_api_key("reader", ["crm:read"])
    _, ringotel = await services.credentials.create_api_key("pbx", ["ringotel"])
    read = {"Authorization": f"Bearer {reader}"}
    assert (await anonymous.get("/export/contacts", headers=read)).status_code == 200
    assert (await anonymous.post("/import/contacts", headers=read, **form(GOOD))).status_code == 403
    errors = await gql_errors(anonymous, JOB, {"id": "x"}, headers=read)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    pbx = {"Authorization": f"Bearer {ringotel}"}
    assert (await anonymous.get("/export/contacts", headers=pbx)).status_code == 403
    assert (await anonymous.get("/export/contacts")).status_code == 403
    assert (await anonymous.post("/import/contacts", **form(GOOD))).status_code == 403
    await nothing_written()


async def test_the_console_session_imports_with_its_header_from_its_own_origin(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    await make_agent(app)
    assert (await sign_in(anonymous)).status_code == 303
    assert (await anonymous.get("/export/contacts")).status_code == 200  # a plain download
    no_header = await anonymous.post("/import/contacts", **form(GOOD))
    assert no_header.status_code == 403
    forged = await anonymous.post(
        "/import/contacts",
        headers={**CONSOLE, "Origin": "https://evil.example"},
        **form(GOOD),
    )
    assert forged.status_code == 403
    await nothing_written()
    started = await anonymous.post(
        "/import/contacts", headers={**CONSOLE, "Origin": "http://crm.test"}, **form(GOOD)
    )
    assert started.status_code == 202, started.text
    await app.state.import_runner.wait()
    answer = await anonymous.post(
        "/graphql", json={"query": JOB, "variables": {"id": started.json()["id"]}}, headers=CONSOLE
    )
    job = answer.json()["data"]["importJob"]
    assert (job["status"], job["imported"], job["startedBy"]) == (
        "DONE",
        2,
        {"email": "agent@example.com"},
    )


async def test_an_import_stopped_with_its_server_is_marked_failed(
    app: Litestar, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    path = folder / "many.csv"
    path.write_text(
        "first_name,phone\n" + "".join(f"P{n},+1 212 555 {n:04d}\n" for n in range(5000))
    )
    services = app.state.services
    runner = ImportRunner(services.import_jobs, services.config)
    job = await services.import_jobs.begin("contacts", "many.csv", 5000, None)
    runner.start(job.id, KINDS["contacts"], open_import(path, CONTACTS), folder)
    await asyncio.sleep(0)
    await runner.stop()
    stopped = (await gql(client, JOB, {"id": str(job.id)}))["importJob"]
    assert (stopped["status"], stopped["error"]) == ("FAILED", STOPPED)
    assert not folder.exists()  # the upload went with it
    again = await client.post("/import/contacts", **form(GOOD))
    assert again.status_code == 202, again.text
    await app.state.import_runner.wait()
