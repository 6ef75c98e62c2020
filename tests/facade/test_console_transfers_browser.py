"""The Contacts screen's CSV import and export in Debian's Chromium against the real
`crm serve`: the export downloads what `crm export contacts -` writes; an import shows its
progress, then its summary, and its rejected rows download as `crm import` writes them; a
bad file shows its one line and writes nothing.

Every page is opened through `visit` (nothing from another origin, no CSP violation).
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crm.domain.validation import now
from crm.import_runner import BATCH_ROWS
from tests.browser import require_chromium, visit
from tests.facade.console_app import (
    SCREENSHOTS,
    Console,
    console_server,
    screenshot_wanted,
    sign_in,
)
from tests.live_server import CRM

JOBS = "{ importJobs(first: 100) { id status } }"
COUNT = '{ contacts(filter: {text: "Babbage"}) { nodes { id } } }'
# Collects every text the import's status showed, however briefly.
WATCH_STATUS = """() => {
  window.statusSeen = [];
  const status = document.querySelector(".import-status");
  new MutationObserver(() => window.statusSeen.push(status.textContent.trim())).observe(
    status, { childList: true, subtree: true, characterData: true, attributes: true });
}"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    require_chromium()
    with console_server(
        tmp_path_factory.mktemp("console-transfers"), "console_transfers"
    ) as running:
        yield running


def crm_export(console: Console) -> bytes:
    """What `crm export contacts -` prints, byte for byte."""
    done = subprocess.run(  # noqa: S603 (our own command and arguments)
        [CRM, "export", "contacts", "-"],
        env=console.server.env,
        cwd=console.server.folder,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return done.stdout


async def open_contacts(page: Any, email: str) -> None:
    await sign_in(page, email)
    await page.get_by_role("link", name="Contacts").click()
    await page.get_by_label("Search contacts").wait_for()


async def downloaded(page: Any, link: str) -> tuple[str, bytes]:
    """Click `link`; the name and bytes of the file the browser saved."""
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link).click()
    download = await info.value
    path = await download.path()
    return download.suggested_filename, await asyncio.to_thread(Path(path).read_bytes)


async def test_the_export_downloads_what_crm_export_writes(console: Console) -> None:
    console.make_agent("exporter@example.com", "530")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await open_contacts(page, "exporter@example.com")
        name, data = await downloaded(page, "Export contacts (CSV)")
    assert name == f"contacts-{now().date().isoformat()}.csv"
    assert b"Lovelace" in data
    assert data == crm_export(console)


async def test_an_import_shows_its_progress_then_its_summary_and_its_rejects(
    console: Console, tmp_path: Path
) -> None:
    console.make_agent("importer@example.com", "531")
    rows = 3 * BATCH_ROWS  # several batches, so that the page sees it running
    people = tmp_path / "people.csv"
    people.write_text(
        "first_name,last_name,phone\n"
        "Charles,Babbage,+44 20 7946 0101\n"
        "Bad,Number,no digits here\n"
        + "".join(f"Row{n},Imported,+1 332 555 {n:04d}\n" for n in range(rows)),
        encoding="utf-8",
    )
    async with visit(console.server, "/") as seen:
        page = seen.page
        await open_contacts(page, "importer@example.com")
        await page.evaluate(WATCH_STATUS)
        await page.get_by_label("Import contacts from a CSV file").set_input_files(str(people))
        await page.get_by_role("button", name="Start the import").click()
        summary = f"people.csv: {rows + 1} imported, 0 merged, 1 rejected."
        await page.get_by_text(summary).wait_for(timeout=120_000)
        if screenshot_wanted():
            await page.screenshot(path=str(SCREENSHOTS / "console-import.png"), full_page=True)
        shown: list[str] = await page.evaluate("window.statusSeen")
        progress = [text for text in shown if text.startswith("Importing people.csv:")]
        assert progress, shown
        assert all(text.endswith(f"of {rows + 2} rows") for text in progress), progress
        name, data = await downloaded(page, "Download the rejected rows")
        box = page.get_by_label("Search contacts")
        await box.fill("Babbage")
        await box.press("Enter")
        await page.get_by_role("link", name="Charles Babbage").wait_for()
    assert name == "people.rejects.csv"
    lines = data.decode().splitlines()
    assert lines[0] == "line,reason"
    assert len(lines) == 2
    assert lines[1].startswith("3,")
    assert "no digits" in lines[1]


async def test_a_bad_file_shows_its_one_line_and_writes_nothing(
    console: Console, tmp_path: Path
) -> None:
    console.make_agent("careful@example.com", "532")
    jobs_before = console.graphql(JOBS)["importJobs"]
    contacts_before = console.graphql(COUNT)["contacts"]["nodes"]
    old = tmp_path / "old.csv"
    old.write_bytes(b"first_name,last_name\nJos\xe9,Babbage\n")  # Latin-1, not UTF-8
    async with visit(console.server, "/") as seen:
        page = seen.page
        await open_contacts(page, "careful@example.com")
        await page.get_by_label("Import contacts from a CSV file").set_input_files(str(old))
        await page.get_by_role("button", name="Start the import").click()
        alert = page.locator(".import-status").get_by_role("alert")
        await alert.wait_for()
        assert await alert.text_content() == (
            "old.csv: not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8"
        )
        seen.failed.clear()  # the 422 that carried the message is the expected answer
    assert console.graphql(JOBS)["importJobs"] == jobs_before
    assert console.graphql(COUNT)["contacts"]["nodes"] == contacts_before


async def test_the_companies_screen_imports_and_exports_as_well(
    console: Console, tmp_path: Path
) -> None:
    console.make_agent("companies@example.com", "533")
    firms = tmp_path / "firms.csv"
    firms.write_text("name;website;phone\nDifference Engines;engines.example;+44 20 7946 0199\n")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "companies@example.com")
        await page.get_by_role("link", name="Companies").click()
        await page.get_by_label("Import companies from a CSV file").set_input_files(str(firms))
        await page.get_by_role("button", name="Start the import").click()
        await page.get_by_text("firms.csv: 1 imported, 0 merged, 0 rejected.").wait_for()
        await page.get_by_role("link", name="Difference Engines").wait_for()
        name, data = await downloaded(page, "Export companies (CSV)")
    assert name.startswith("companies-")
    assert b"Difference Engines,https://engines.example,,,+44 20 7946 0199" in data
