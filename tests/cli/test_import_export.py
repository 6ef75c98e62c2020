"""`crm import` and `crm export` as an operator runs them: the real command in a temporary
folder, on the test database (SQLite, or PostgreSQL from CRM_TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from crm.domain.search import contact_search_text
from crm.tables import Company, Contact, PhoneNumber
from tests.graphql.crm_records import create_company, create_contact, create_matching, create_user
from tests.graphql_client import gql
from tests.live_server import CRM

HEADER = "first_name,last_name,email,company,phone,phone_mobile\n"


@dataclass
class Run:
    status: int
    out: str
    err: str


async def crm(folder: Path, *args: str) -> Run:
    """Run `crm` in `folder` on the test database, as in a shell."""
    done = await asyncio.to_thread(
        subprocess.run,
        [CRM, *args],
        cwd=folder,
        env={**os.environ, "CRM_DEFAULT_REGION": "US"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


async def import_file(folder: Path, text: str | bytes, *args: str, noun: str = "contacts") -> Run:
    path = folder / "in.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return await crm(folder, "import", noun, str(path), *args)


def summary(run: Run) -> dict[str, int]:
    result: dict[str, int] = json.loads(run.out)
    return result


async def empty_records() -> None:
    """Delete every contact and company (the users stay), as on a fresh database."""
    await PhoneNumber.delete(force=True)
    await Contact.delete(force=True)
    await Company.delete(force=True)


async def test_export_imports_back_unchanged(client: httpx.AsyncClient, tmp_path: Path) -> None:
    await create_user(client, "owner@example.com")
    await create_contact(
        client,
        firstName="Zoë",
        lastName="Ålander",
        email="zoe@example.com",
        jobTitle="CTO",
        notes='Says "hi",\nthen leaves; twice',
        companyName="Acme; Sons",
        phones=[
            {"number": "+44 20 7946 0018", "kind": "MOBILE"},
            {"number": "(415) 555-0100 ext. 12", "kind": "WORK"},
            {"number": "+1 415 555 0199", "kind": "MOBILE"},
        ],
    )
    await create_contact(client, firstName="=cmd|' /C calc'!A0", lastName="+SUM(1)")
    await create_contact(client, email="only@example.com", phones=[{"number": "4155550111"}])
    first = await crm(tmp_path, "export", "contacts", "a.csv")
    assert first.status == 0, first.err
    exported = (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert exported.splitlines()[0] == (
        "first_name,last_name,email,company,job_title,owner_email,notes,"
        "phone_work,phone_mobile,phone_mobile"
    )
    assert "'=cmd|' /C calc'!A0,'+SUM(1)" in exported  # guarded against CSV injection

    await empty_records()
    imported = await crm(tmp_path, "import", "contacts", "a.csv", "--json")
    assert imported.status == 0, imported.err
    assert summary(imported) == {"imported": 3, "merged": 0, "rejected": 0}
    second = await crm(tmp_path, "export", "contacts", "b.csv")
    assert second.status == 0, second.err
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == exported
    [zoe] = await Contact.objects().where(Contact.email == "zoe@example.com")
    assert zoe.search_text == contact_search_text("Zoë", "Ålander", "zoe@example.com")
    assert zoe.notes == 'Says "hi",\nthen leaves; twice'


async def test_companies_export_imports_back_unchanged(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await create_user(client, "owner@example.com")
    owner = await create_user(client, "boss@example.com")
    await create_company(
        client,
        name="Acme",
        website="acme.example",
        address="1 Road\nTown",
        ownerId=owner,
        phones=[{"number": "+1 201 555 0100", "kind": "MAIN"}, {"number": "+1 201 555 0101"}],
    )
    await create_company(
        client, name="@evil", phones=[{"number": "+44 20 7946 0000", "kind": "FAX"}]
    )
    first = await crm(tmp_path, "export", "companies", "a.csv")
    assert first.status == 0, first.err
    exported = (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert (
        exported.splitlines()[0]
        == "name,website,address,owner_email,phone_main,phone_work,phone_fax"
    )
    assert "'@evil" in exported
    await empty_records()
    imported = await crm(tmp_path, "import", "companies", "a.csv", "--json")
    assert summary(imported) == {"imported": 2, "merged": 0, "rejected": 0}, imported.err
    await crm(tmp_path, "export", "companies", "b.csv")
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == exported


async def test_rows_merge_by_email_and_by_a_number_written_another_way(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    ada = await create_contact(
        client, firstName="Ada", email="ada@example.com", phones=[{"number": "+1 415 555 0100"}]
    )
    text = (
        HEADER
        + "Augusta,,,,(415) 555-0100,+1 415 555 0177\n"  # Ada's number, written nationally
        + ",Lovelace,ADA@Example.com,Analytical,,\n"  # Ada's email, in another case
        + "Bob,Smith,bob@example.com,,,415.555.0123\n"
        + "Robert,,,,,+1 (415) 555-0123\n"  # Bob's number, an earlier row of the file
        + "Carol,,,,,+1 415 555 0177\n"  # the number the first row gave Ada
    )
    run = await import_file(tmp_path, text, "--json")
    assert run.status == 0, run.err
    assert summary(run) == {"imported": 1, "merged": 4, "rejected": 0}
    row = await Contact.objects().where(Contact.id == ada["id"]).first()
    assert row is not None
    assert (row.first_name, row.last_name) == ("Carol", "Lovelace")  # the last row's cells win
    assert row.email == "ada@example.com"
    numbers = (
        await PhoneNumber.select(PhoneNumber.e164, PhoneNumber.kind)
        .where(PhoneNumber.contact == row.id)
        .order_by(PhoneNumber.position)
    )
    assert numbers == [
        {"e164": "+14155550100", "kind": "work"},
        {"e164": "+14155550177", "kind": "mobile"},
    ]
    company = await Company.objects().where(Company.id == row.company).first()
    assert company is not None
    assert company.name == "Analytical"
    bob = await Contact.objects().where(Contact.email == "bob@example.com").first()
    assert bob is not None
    assert bob.first_name == "Robert"
    assert await Contact.count() == 2


async def test_company_rows_merge_by_name_in_any_case(tmp_path: Path) -> None:
    contacts = await import_file(tmp_path, HEADER + "Ann,,,acme,,\n")  # creates "acme"
    assert contacts.status == 0, contacts.err
    text = (
        "Name;Website;phone;PHONE_FAX\n"
        "ACME;acme.example;+1 201 555 0100;\n"
        "Acme;;(201) 555-0100;+1 201 555 0199\n"  # the same main line, written nationally
        "Long;" + "b" * 250 + ".example;;\n"  # 255 characters with https://: too long
    )
    run = await import_file(tmp_path, text, "--json", noun="companies")
    assert run.status == 3
    assert summary(run) == {"imported": 0, "merged": 2, "rejected": 1}
    [acme] = await Company.objects()
    assert (acme.name, acme.website) == ("acme", "https://acme.example")
    numbers = (
        await PhoneNumber.select(PhoneNumber.kind, PhoneNumber.e164)
        .where(PhoneNumber.company == acme.id)
        .order_by(PhoneNumber.position)
    )
    assert numbers == [
        {"kind": "main", "e164": "+12015550100"},
        {"kind": "fax", "e164": "+12015550199"},
    ]
    rejects = (tmp_path / "in.rejects.csv").read_text().splitlines()
    assert rejects[1] == "4,website: must be at most 255 characters"


async def test_rejected_rows_go_to_the_rejects_file_with_their_line(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await create_user(client, "owner@example.com")
    text = (
        "first_name,email,owner_email,phone\n"
        "Ann,ann@example.com,owner@example.com,+1 415 555 0100\n"  # line 2
        '"Multi\nline",,,\n'  # lines 3-4: fine, the next row starts on line 5
        "Bad,not-an-email,,\n"  # line 5
        "Phone,,,call me\n"  # line 6
        "Owner,,nobody@example.com,\n"  # line 7
        "Extra,,,,surplus\n"  # line 8
        ",,,\n"  # line 9: blank, skipped
        "Nul\x00,,,\n"  # line 10
        "Short,,,12\n"  # line 11
    )
    rejects = tmp_path / "out" / "rejected.csv"
    rejects.parent.mkdir()
    run = await import_file(tmp_path, text, "--json", "--rejects", str(rejects))
    assert run.status == 3, run.err
    assert summary(run) == {"imported": 2, "merged": 0, "rejected": 6}
    assert rejects.read_text().splitlines() == [
        "line,reason",
        "5,email: 'not-an-email' is not an email address",
        "6,phone: 'call me' is not a phone number",
        "7,owner_email: no user with email 'nobody@example.com'",
        '8,"row: 5 fields, but the header has 4"',
        "10,first_name: must not contain a NUL character",
        "11,phone: '12' is too short to be a phone number (at least 4 digits)",
    ]
    assert not (tmp_path / "in.rejects.csv").exists()


async def test_a_clean_import_exits_zero_and_prints_a_summary(tmp_path: Path) -> None:
    run = await import_file(tmp_path, HEADER + "Ann,,,,+1 415 555 0100,\n")
    assert run.status == 0, run.err
    assert run.out == "1 contacts imported, 0 rows merged, 0 rejected\n"
    assert run.err == ""  # no progress bar when standard error is no terminal
    assert (tmp_path / "in.rejects.csv").read_text().splitlines() == ["line,reason"]
    semicolons = await import_file(tmp_path, "FIRST_NAME;Email\nBen;ben@example.com\n", "--json")
    assert summary(semicolons) == {"imported": 1, "merged": 0, "rejected": 0}


def on_a_terminal(folder: Path, *args: str) -> str:
    """Run `crm` with a pseudo-terminal as its standard output and error; what it drew."""
    leader, follower = os.openpty()
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [CRM, *args],
        cwd=folder,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    process.wait(timeout=300)
    os.close(leader)
    assert process.returncode == 0, drawn
    return drawn.decode(errors="replace")


async def test_a_terminal_shows_a_progress_bar(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "".join(f"P{i},,,,+1 415 555 {i:04d},\n" for i in range(300)))
    drawn = await asyncio.to_thread(
        on_a_terminal, tmp_path, "import", "contacts", str(path), "--batch-size", "50"
    )
    assert "300/300" in drawn
    assert "300 contacts imported, 0 rows merged, 0 rejected" in drawn


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            HEADER.encode() + "Jos\xe9,,,,,\n".encode("latin-1"),
            "not UTF-8 text (byte 0xe9 on line 2)",
        ),
        (b"", "the file is empty"),
        (b"Ann,Smith,ann@example.com\n", "no header row"),
        (
            b"email,phone\nann@example.com,+14155550100\n",
            "no name column: contacts need first_name or last_name",
        ),
        (b"first_name\tlast_name\nAnn\tSmith\n", "columns are separated by tab; use ',' or ';'"),
        (b"first_name,age\nAnn,3\n", "unknown column 'age'"),
        (b"first_name,phone_main\nAnn,+14155550100\n", "unknown column 'phone_main'"),
        (b"first_name,FIRST_NAME\nAnn,Ann\n", "column 'first_name' is given twice"),
    ],
)
async def test_a_bad_file_stops_with_one_line_and_writes_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    run = await import_file(tmp_path, content)
    assert run.status == 1
    assert len(run.err.splitlines()) == 1, run.err
    assert message in run.err
    assert await Contact.count() == 0
    assert await Company.count() == 0
    assert not (tmp_path / "in.rejects.csv").exists()


async def test_a_huge_field_and_nul_bytes_reject_their_rows_only(tmp_path: Path) -> None:
    text = HEADER + "Ann,,,,,\n" + "Huge," + "x" * (10 * 1024 * 1024) + ",,,,\nBen,,,,,\n"
    run = await import_file(tmp_path, text, "--json")
    assert run.status == 3
    assert summary(run) == {"imported": 2, "merged": 0, "rejected": 1}
    lines = (tmp_path / "in.rejects.csv").read_text().splitlines()
    assert lines[1].startswith("3,row: unreadable CSV (field larger than field limit")
    names = await Contact.select(Contact.first_name).order_by(Contact.first_name)
    assert [row["first_name"] for row in names] == ["Ann", "Ben"]


async def test_an_imported_contact_is_found_like_any_other(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    run = await import_file(tmp_path, HEADER + "Zoë,Ålander,ZOE@example.com,Acme,,(201) 555-0123\n")
    assert run.status == 0, run.err
    found = await client.get("/ringotel/v1/contacts/lookup", params={"phone": "+1 201-555-0123"})
    [record] = found.json()["records"]
    assert (record["firstname"], record["company"]["name"]) == ("Zoë", "Acme")
    for text in ("ålander", "zoe@EXAMPLE", "acme"):
        data = await gql(
            client,
            "query($t: String) { contacts(filter: {text: $t}) { nodes { email } } }",
            {"t": text},
        )
        assert data["contacts"]["nodes"] == [{"email": "zoe@example.com"}], text
    lookup = await gql(
        client, 'query { lookupContacts(phone: "2015550123") { contact { email } } }', {}
    )
    assert [m["contact"]["email"] for m in lookup["lookupContacts"]] == ["zoe@example.com"]
    # An API create that matches duplicates finds the imported contact, as any other.
    again = await create_matching(
        client, {"firstName": "Z", "phones": [{"number": "+12015550123"}]}
    )
    assert (again["created"], again["contact"]["id"]) == (False, record["id"])


async def test_worker_processes_check_rows_as_this_process_does(tmp_path: Path) -> None:
    rows = "".join(f"P{i},,p{i}@example.com,,+1 415 555 {i:04d},\n" for i in range(600))
    bad = "Bad,,,,nope,\n"
    run = await import_file(
        tmp_path, HEADER + rows + bad, "--json", "--workers", "2", "--batch-size", "100"
    )
    assert summary(run) == {"imported": 600, "merged": 0, "rejected": 1}, run.err
    assert (tmp_path / "in.rejects.csv").read_text().splitlines()[1].startswith("602,phone:")
    assert await PhoneNumber.count() == 600


async def test_a_batch_with_more_numbers_than_a_statement_takes_is_looked_up_in_parts(
    tmp_path: Path,
) -> None:
    # 1,700 rows of 20 numbers: 34,000 numbers to look up, over the drivers' 32,767 parameters.
    header = "first_name," + ",".join(["phone_work"] * 20) + "\n"
    rows = "".join(
        f"P{i}," + ",".join(f"+1 415 {200 + n:03d} {i:04d}" for n in range(20)) + "\n"
        for i in range(1700)
    )
    run = await import_file(tmp_path, header + rows, "--json", "--workers", "0")
    assert summary(run) == {"imported": 1700, "merged": 0, "rejected": 0}, run.err
    assert await PhoneNumber.count() == 34_000
    again = await import_file(tmp_path, header + rows, "--json", "--workers", "0")
    assert summary(again) == {"imported": 0, "merged": 1700, "rejected": 0}, again.err
    assert await PhoneNumber.count() == 34_000


def peak_rss_kib(folder: Path, rows: int) -> int:
    """The peak resident memory of one import of `rows` generated rows, in batches of 200."""
    path = folder / f"{rows}.csv"
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(rows):
            number = f"+1 415 {i // 10000:03d} {i % 10000:04d}"
            out.write(f"First{i},Last{i},p{i}@example.com,Co{i % 50},{number},\n")
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [CRM, "import", "contacts", str(path), "--batch-size", "200", "--workers", "0"],
        cwd=folder,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return int(usage.ru_maxrss)  # KiB on Linux


@pytest.mark.parametrize(
    "rows",
    [pytest.param(10_000, id="10k"), pytest.param(200_000, id="200k", marks=pytest.mark.slow)],
)
async def test_memory_does_not_grow_with_the_file(tmp_path: Path, rows: int) -> None:
    small = await asyncio.to_thread(peak_rss_kib, tmp_path, 500)
    large = await asyncio.to_thread(peak_rss_kib, tmp_path, rows)
    # 9,500 more contacts held in memory would take tens of MiB; batches of 200 take none.
    assert large - small < 8 * 1024, (small, large)
    assert await Contact.count() == rows  # the first 500 rows merged into the first import
