"""Contacts edited in the console, in Debian's Chromium against the real `crm serve`: names,
email, job title, company and numbers changed (a number written another way is stored
normalised), errors shown beside the field they name, a contact created and deleted; and
open pages kept live: a call reported while a contact's page is open comes into its
timeline, and the unassigned calls list gains new calls and drops linked ones.

Every page is opened through `visit` (nothing from another origin, no CSP violation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.audio_samples import wav
from tests.browser import require_chromium, visit
from tests.facade.console_app import Console, console_server, now_ms, sign_in

PHONE = {"width": 375, "height": 740}
CONTACT = """query($id: ID!) { contact(id: $id) {
  firstName lastName email jobTitle company { name } phones { e164 kind extension } } }"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    require_chromium()
    with console_server(tmp_path_factory.mktemp("console-contacts"), "console_contacts") as running:
        yield running


def stored(console: Console, contact_id: str) -> dict[str, Any]:
    found: dict[str, Any] = console.graphql(CONTACT, {"id": contact_id})["contact"]
    return found


def new_contact(console: Console, last_name: str, number: str) -> str:
    data = console.graphql(
        "mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }",
        {"input": {"firstName": "Test", "lastName": last_name, "phones": [{"number": number}]}},
    )
    return str(data["createContact"]["contact"]["id"])


async def open_contact(page: Any, console: Console, contact_id: str, heading: str) -> None:
    await page.get_by_role("link", name="Contacts").click()
    await page.get_by_label("Search contacts").wait_for()
    await page.evaluate(f"window.location.hash = '#/contacts/{contact_id}'")
    await page.get_by_role("heading", name=heading).wait_for()


async def test_a_contact_is_edited_and_each_error_shown_by_its_field(console: Console) -> None:
    console.make_agent("editor@example.com", "520")
    before = stored(console, console.contact_id)
    async with visit(console.server, "/") as seen:
        page = seen.page
        await page.set_viewport_size(PHONE)
        await sign_in(page, "editor@example.com")
        await open_contact(page, console, console.contact_id, "Ada Lovelace")
        await page.get_by_role("button", name="Edit").click()
        form = page.get_by_role("form", name="Edit the contact")
        assert await form.get_by_label("Job title").input_value() == "Analyst"
        assert await form.get_by_label("Company").input_value() == "Analytical Engines"

        await form.get_by_label("Job title").fill("Chief Analyst")
        await form.get_by_label("Email").fill("ada@@engines")
        await form.get_by_role("button", name="Add a number").click()
        await form.get_by_label("Number", exact=True).last.fill("no digits here")
        await form.get_by_role("button", name="Save").click()
        email_error = form.locator("#contact-email-error")
        await email_error.wait_for()
        assert await form.get_by_label("Email").get_attribute("aria-invalid") == "true"
        assert stored(console, console.contact_id) == before  # refused as a whole

        await form.get_by_label("Email").fill("ada.lovelace@engines.example")
        await form.get_by_role("button", name="Save").click()
        number_error = form.locator(".phone-row").last.locator(".field-error")
        await number_error.get_by_text("no digits").wait_for()
        assert await email_error.count() == 0
        assert (
            await form.get_by_label("Number", exact=True).last.get_attribute("aria-invalid")
            == "true"
        )

        await form.get_by_label("Number", exact=True).last.fill("212.555.0199 x7")  # another way
        await form.get_by_label("Kind").first.select_option("MOBILE")
        await form.get_by_role("button", name="Add a number").click()
        await form.get_by_label("Number", exact=True).last.fill("+1 212 555 0100")
        await form.get_by_role("button", name="Remove").last.click()  # taken back
        await form.get_by_role("button", name="Save").click()
        await page.locator(".numbers").get_by_text("+12125550199").wait_for()
        await page.get_by_text("Chief Analyst").wait_for()
        scroll = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= PHONE["width"]
    after = stored(console, console.contact_id)
    assert after["jobTitle"] == "Chief Analyst"
    assert after["email"] == "ada.lovelace@engines.example"
    assert after["company"] == {"name": "Analytical Engines"}
    assert after["phones"] == [
        {"e164": "+12125550134", "kind": "MOBILE", "extension": None},
        {"e164": "+12125550199", "kind": "WORK", "extension": "7"},
    ]


async def test_a_new_contact_is_created_then_deleted_after_a_confirmation(
    console: Console,
) -> None:
    console.make_agent("maker@example.com", "521")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "maker@example.com")
        await page.get_by_role("link", name="Contacts").click()
        await page.get_by_role("link", name="New contact").click()
        form = page.get_by_role("form", name="New contact")
        await form.get_by_label("First name").fill("Alan")
        await form.get_by_label("Last name").fill("Turing")
        await form.get_by_label("Company").fill("Bletchley Park")
        await form.get_by_label("Number", exact=True).fill("0044 1908 640404")
        await form.get_by_label("Number", exact=True).press("Enter")
        await page.get_by_role("heading", name="Alan Turing").wait_for()
        await page.locator(".numbers").get_by_text("+441908640404").wait_for()
        await page.get_by_role("link", name="Bletchley Park").wait_for()

        await page.get_by_role("button", name="Delete Alan Turing").click()
        await page.get_by_text("Their calls stay, unassigned.").wait_for()
        await page.get_by_role("button", name="Yes, delete").click()
        await page.get_by_label("Search contacts").wait_for()
    found = console.graphql('{ contacts(filter: {text: "Turing"}) { nodes { id } } }')
    assert found["contacts"]["nodes"] == []


async def test_a_call_reported_while_a_contacts_page_is_open_comes_into_its_timeline(
    console: Console,
) -> None:
    console.make_agent("watcher@example.com", "522")
    contact = new_contact(console, "Watched", "+1 646 555 0142")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "watcher@example.com")
        await open_contact(page, console, contact, "Test Watched")
        await page.get_by_text("No calls yet.").wait_for()
        console.webhook("StartCallActivity", "call-live", "16465550142", extension="522")
        call = page.locator(".timeline > li")
        await call.get_by_text("ringing").wait_for()
        console.webhook(
            "StopCallActivity",
            "call-live",
            "16465550142",
            extension="522",
            call_end=now_ms(),
            call_duration=42,
        )
        await call.get_by_text("completed").wait_for()
        await call.get_by_text("0:42").wait_for()
        console.attach_recording("call-live", wav(8000))
        await call.get_by_label("Recording of the call", exact=False).wait_for()
        assert await call.count() == 1


async def test_the_unassigned_list_gains_new_calls_and_drops_linked_ones(
    console: Console,
) -> None:
    console.make_agent("sorter@example.com", "523")
    console.webhook("StartCallActivity", "call-earlier", "+33 1 40 20 50 52", extension="523")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "sorter@example.com")
        await page.get_by_role("link", name="Unassigned calls").click()
        earlier = page.locator(".unassigned > li").filter(has_text="+33 1 40 20 50 52")
        await earlier.get_by_role("button", name="Link to a contact").click()
        box = earlier.get_by_label("Find the contact")
        await box.press_sequentially("Love")
        console.webhook("StartCallActivity", "call-stray", "+33 1 40 20 50 51", extension="523")
        row = page.locator(".unassigned > li").filter(has_text="+33 1 40 20 50 51")
        await row.wait_for()
        # The new call came in above the form being typed in, which kept its text and focus.
        assert await box.input_value() == "Love"
        assert await box.evaluate("(field) => field === document.activeElement")
        console.graphql(
            "mutation($id: ID!, $contact: ID!) { assignActivity(id: $id, contactId: $contact)"
            " { id } }",
            {"id": console.activity_id("call-stray"), "contact": console.contact_id},
        )
        await row.wait_for(state="detached")
