"""The console in Debian's Chromium against the real `crm serve`: sign in through the form, a
Ringotel webhook call pops the caller's card, a number written another way finds its contact,
a recording plays and seeks, and a session ends at once when its user is deactivated.

Every page is opened through `visit`: a request to another origin is aborted and fails the
test, and so does a CSP violation. With `CRM_CONSOLE_SCREENSHOTS=1` the tests also write the
README's screenshots under `docs/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError

from tests.audio_samples import wav
from tests.browser import other_site, require_chromium, visit
from tests.facade.console_app import (
    CONTACT_NUMBER,
    EXTENSION,
    PASSWORD,
    SCREENSHOTS,
    Console,
    console_server,
    now_ms,
    screenshot_wanted,
    sign_in,
)

RECORDING_SECONDS = 10
SAMPLE_RATE = 8000


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    require_chromium()
    with console_server(tmp_path_factory.mktemp("console-browser"), "console") as running:
        yield running


async def test_a_webhook_call_pops_the_callers_card_and_an_unknown_number_a_form(
    console: Console,
) -> None:
    console.make_agent("grace@example.com", EXTENSION)
    async with visit(console.server, "/") as seen:
        page = seen.page
        await page.set_viewport_size({"width": 1280, "height": 800})
        await sign_in(page, "grace@example.com")
        await page.get_by_role("heading", name="My live calls").wait_for()
        await page.get_by_role("status").get_by_text("live", exact=True).wait_for()

        console.webhook("StartCallActivity", "call-known", "2125550134")
        card = page.get_by_role("region", name="Caller")
        await card.get_by_role("heading", name="Ada Lovelace").wait_for()
        await card.get_by_text("Analytical Engines").wait_for()
        await card.get_by_text("The number is one of this contact's own.").wait_for()
        link = card.get_by_role("link", name="Open the contact")
        assert await link.get_attribute("href") == f"#/contacts/{console.contact_id}"
        await page.locator(".calls").get_by_text("Ada Lovelace").wait_for()

        console.webhook("StartCallActivity", "call-unknown", "+44 20 7946 0958")
        await card.get_by_text("Unknown number.").wait_for()
        phone = card.get_by_label("Phone")
        assert await phone.input_value() == "+44 20 7946 0958"
        if screenshot_wanted():
            await page.screenshot(path=str(SCREENSHOTS / "console-live-calls.png"))
        await card.get_by_label("First name").fill("Charles")
        await card.get_by_label("Last name").fill("Babbage")
        await card.get_by_role("button", name="Create contact").click()
        await card.get_by_role("heading", name="Charles Babbage").wait_for()
        found = console.graphql("{ activities(filter: {unassigned: true}) { nodes { callId } } }")
        assert "call-unknown" not in [call["callId"] for call in found["activities"]["nodes"]]

        console.webhook("StopCallActivity", "call-known", "2125550134", call_end=now_ms())
        calls = page.locator(".calls")
        await calls.get_by_text("Ada Lovelace").wait_for(state="detached")
        await page.reload()  # the calls in progress are there again once the page loads
        await page.locator(".calls").get_by_text("Charles Babbage").wait_for()
        await page.get_by_role("status").get_by_text("live", exact=True).wait_for()


async def test_a_number_written_another_way_finds_the_contact_whose_recording_plays_and_seeks(
    console: Console,
) -> None:
    console.make_agent("lin@example.com", "501")
    console.webhook(
        "StopCallActivity",
        "call-recorded",
        "(212) 555 0134",
        extension="501",
        call_end=now_ms(),
        call_duration=60,
    )
    console.attach_recording("call-recorded", wav(RECORDING_SECONDS * SAMPLE_RATE * 2))
    async with visit(console.server, "/") as seen:
        page = seen.page
        ranges: list[str] = []
        page.on(
            "response",
            lambda response: (
                ranges.append(response.headers.get("content-range", ""))
                if "/recording" in response.url and response.status == 206
                else None
            ),
        )
        await sign_in(page, "lin@example.com")
        await page.get_by_role("link", name="Contacts").click()
        await page.get_by_label("Search contacts").fill("(212) 555.0134")
        await page.get_by_label("Search contacts").press("Enter")
        await page.locator(".results").get_by_role("link", name="Ada Lovelace").click()
        await page.get_by_role("heading", name="Ada Lovelace").wait_for()
        await page.locator(".numbers").get_by_text(CONTACT_NUMBER).wait_for()
        player = page.get_by_label("Recording of the call", exact=False)
        await player.wait_for()
        played = await player.evaluate(
            """async (audio) => {
                audio.muted = true;  // a page may play muted sound without a click
                await audio.play();
                await new Promise((done) => {
                    audio.addEventListener("seeked", done, { once: true });
                    audio.currentTime = 7;
                });
                audio.pause();
                return { at: audio.currentTime, length: audio.duration,
                         seekable: audio.seekable.length ? audio.seekable.end(0) : 0 };
            }"""
        )
        assert played["length"] == pytest.approx(RECORDING_SECONDS, abs=0.1)
        assert played["seekable"] == pytest.approx(RECORDING_SECONDS, abs=0.1)
        assert played["at"] == pytest.approx(7, abs=0.5)
        assert any(value.startswith("bytes ") for value in ranges), ranges
        if screenshot_wanted():
            await page.set_viewport_size({"width": 1280, "height": 800})
            await page.screenshot(path=str(SCREENSHOTS / "console-contact.png"))


async def test_a_deactivated_users_session_is_out_at_once(console: Console) -> None:
    user = console.make_agent("kay@example.com", "502")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await page.set_viewport_size({"width": 390, "height": 844})  # phone width
        await sign_in(page, "kay@example.com")
        await page.get_by_role("status").get_by_text("live", exact=True).wait_for()
        console.webhook("StartCallActivity", "call-of-kay", "+33 1 40 20 50 50", extension="502")
        await page.get_by_role("region", name="Caller").get_by_text("Unknown number.").wait_for()
        console.graphql(
            "mutation($id: ID!) { updateUser(id: $id, input: {isActive: false}) { id } }",
            {"id": user},
        )
        # The call's next event closes the open socket instead of reaching it: the page is
        # sent back to sign in, and the contact linked meanwhile is never shown.
        console.graphql(
            "mutation($id: ID!, $contact: ID!) { assignActivity(id: $id, contactId: $contact)"
            " { id } }",
            {"id": console.activity_id("call-of-kay"), "contact": console.contact_id},
        )
        await page.get_by_label("Email").wait_for()
        assert await page.get_by_text("Ada Lovelace").count() == 0
        answer = await signed_out_me(page)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def signed_out_me(page: Any) -> Any:
    """`{ me }` asked from the page with the console's header, once the page has settled
    on the sign-in form: the closed socket and a refused read may each send the page
    back to sign in, so a second navigation can replace the first one's page."""
    for _ in range(5):
        try:
            return await page.evaluate(
                """async () => (await fetch("/graphql", {method: "POST",
                    headers: {"Content-Type": "application/json", "X-CRM-Console": "1"},
                    body: JSON.stringify({query: "{ me { id } }"})})).json()"""
            )
        except PlaywrightError as exc:
            if "Execution context was destroyed" not in str(exc):
                raise
            await page.get_by_label("Email").wait_for()
    raise AssertionError("the page kept navigating")


async def test_another_sites_posts_neither_write_nor_sign_out(console: Console) -> None:
    console.make_agent("ida@example.com", "503")
    with other_site(host="localhost") as site:
        target = console.server.url
        site.pages["/attack"] = (
            "<!doctype html><body>"
            f'<form id="f" method="post" action="{target}/session/sign-out"></form>'
            "<script>"
            f'fetch("{target}/graphql", {{method: "POST", mode: "no-cors", credentials: "include",'
            ' headers: {"Content-Type": "text/plain"}, body: JSON.stringify({query:'
            " 'mutation { createContact(input: {lastName: \"Forged\"}) { created } }'})})"
            '.finally(() => { document.title = "sent"; document.getElementById("f").submit(); });'
            "</script></body>"
        )
        async with visit(console.server, "/") as seen:
            page = seen.page
            await sign_in(page, "ida@example.com")
            attacker = await page.context.new_page()
            await attacker.goto(site.url + "/attack")
            await attacker.wait_for_url(f"{target}/session/sign-out")
            await attacker.close()
            await page.get_by_role("link", name="Contacts").click()
            await page.get_by_label("Search contacts").wait_for()  # still signed in
    forged = console.graphql('{ contacts(filter: {text: "Forged"}) { nodes { id } } }')
    assert forged["contacts"]["nodes"] == []


async def test_unassigned_calls_link_to_a_found_contact_or_to_a_new_one(console: Console) -> None:
    console.make_agent("max@example.com", "504")
    for call_id, caller in (
        ("call-to-link", "+49 30 901820"),
        ("call-to-create", "+61 2 9374 4000"),
    ):
        console.webhook(
            "StopCallActivity",
            call_id,
            caller,
            extension="504",
            call_end=now_ms(),
            call_duration=30,
        )
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "max@example.com")
        await page.get_by_role("link", name="Unassigned calls").click()
        await page.get_by_role("heading", name="Unassigned calls").wait_for()
        row = page.locator(".unassigned > li").filter(has_text="+49 30 901820")
        await row.get_by_role("button", name="Link to a contact").click()
        await row.get_by_label("Find the contact").fill("Lovelace")
        await row.get_by_label("Find the contact").press("Enter")
        await row.get_by_role("button", name="Link to Ada Lovelace").click()
        await row.get_by_text("Linked to").wait_for()

        other = page.locator(".unassigned > li").filter(has_text="+61 2 9374 4000")
        await other.get_by_role("button", name="New contact").click()
        assert await other.get_by_label("Phone").input_value() == "+61 2 9374 4000"
        await other.get_by_label("Last name").fill("Hollerith")
        await other.get_by_role("button", name="Create contact").click()
        await other.get_by_text("Linked to").wait_for()
    data = console.graphql("{ activities { nodes { callId contact { lastName } callerMatch } } }")
    linked = {
        node["callId"]: node["contact"]["lastName"]
        for node in data["activities"]["nodes"]
        if node["contact"] is not None
    }
    assert linked["call-to-link"] == "Lovelace"
    assert linked["call-to-create"] == "Hollerith"


async def test_the_contacts_list_pages_on_and_back(console: Console) -> None:
    from playwright.async_api import expect  # here: without Playwright the module skips

    console.make_agent("eve@example.com", "505")
    for number in range(21):  # one more than a page
        console.graphql(
            "mutation($input: CreateContactInput!) { createContact(input: $input) { created } }",
            {"input": {"firstName": "Pager", "lastName": f"Person {number:02}"}},
        )
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "eve@example.com")
        await page.get_by_role("link", name="Contacts").click()
        await page.get_by_label("Search contacts").fill("Pager")
        await page.get_by_label("Search contacts").press("Enter")
        results = page.locator(".results .contacts > li")
        # The list before the search holds Ada and some Pagers too: wait until it is gone.
        await expect(page.locator(".results")).not_to_contain_text("Lovelace")
        await expect(results).to_have_count(20)
        await page.get_by_role("link", name="Pager Person 00").wait_for()
        await page.get_by_role("link", name="Next page").click()
        await page.get_by_role("link", name="Pager Person 20").wait_for()
        assert await results.count() == 1
        await page.get_by_role("link", name="First page").click()
        await page.get_by_role("link", name="Pager Person 00").wait_for()


async def test_a_company_is_found_by_name_and_lists_its_contacts(console: Console) -> None:
    console.make_agent("zoe@example.com", "506")
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "zoe@example.com")
        assert await page.get_by_role("link", name="Users").count() == 0  # admins only
        await page.get_by_role("link", name="Companies").click()
        await page.get_by_label("Search companies").fill("analytical")
        await page.get_by_label("Search companies").press("Enter")
        await page.locator(".results").get_by_role("link", name="Analytical Engines").click()
        await page.get_by_role("heading", name="Analytical Engines").wait_for()
        await page.get_by_role("link", name="Ada Lovelace").click()
        await page.get_by_role("heading", name="Ada Lovelace").wait_for()
        await page.get_by_role("link", name="Analytical Engines").wait_for()  # and back


async def test_an_admin_creates_a_user_with_an_extension_and_deactivates_it(
    console: Console,
) -> None:
    console.make_agent("root@example.com", "599", admin=True)
    async with visit(console.server, "/") as seen:
        page = seen.page
        await sign_in(page, "root@example.com")
        await page.get_by_role("link", name="Users").click()
        form = page.get_by_role("form", name="Create a user")
        await form.get_by_label("Email").fill("new.agent@example.com")
        await form.get_by_label("Password").fill(PASSWORD)
        await form.get_by_label("Last name").fill("Newcomer")
        await form.get_by_label("Extension").fill("507")
        await form.get_by_role("button", name="Create user").click()
        row = page.get_by_role("row").filter(has_text="new.agent@example.com")
        await row.get_by_text("507").wait_for()
        await row.get_by_role("button", name="Deactivate new.agent@example.com").click()
        await row.get_by_text("deactivated").wait_for()
    data = console.graphql("{ users(active: false) { nodes { email extension } } }")
    assert {"email": "new.agent@example.com", "extension": "507"} in data["users"]["nodes"]
