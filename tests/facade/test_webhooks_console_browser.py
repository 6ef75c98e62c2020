"""The console's Webhooks screen in Debian's Chromium against the real `crm serve` and a
real receiver: an admin creates an endpoint (its secret shown once), watches a failing
delivery's attempts, replays it, pauses, rotates and deletes the endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.browser import require_chromium, visit
from tests.facade.console_app import PASSWORD, sign_in
from tests.live_server import LiveServer, live_server, own_sqlite
from tests.webhooks.receiver import running_receiver

LOOPBACK_FAST = {
    "CRM_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",  # the receiver, for this test only
    "CRM_WEBHOOK_POLL_S": "0.1",
    "CRM_WEBHOOK_BACKOFF_BASE_S": "0.05",
    "CRM_WEBHOOK_BACKOFF_MAX_S": "0.1",
    "CRM_WEBHOOK_TIMEOUT_S": "2",
    "CRM_WEBHOOK_MAX_ATTEMPTS": "2",
}


def graphql(server: LiveServer, key: str, query: str, variables: dict[str, Any]) -> Any:
    answer = httpx.post(
        server.url + "/graphql",
        headers={"Authorization": f"Bearer {key}"},
        json={"query": query, "variables": variables},
    )
    body = answer.json()
    assert not body.get("errors"), body
    return body["data"]


async def refreshed_until(page: Any, shown: Any) -> None:
    """Press Refresh until `shown` is on the page (the worker records in the background).

    Each press draws "Loading…" until the answer comes, and the Refresh button only
    with the answer: look once it is back, whatever the server's pace."""
    refresh = page.get_by_role("button", name="Refresh")
    for _ in range(300):
        await refresh.wait_for()
        if await shown.count():
            return
        await asyncio.sleep(0.1)
        await refresh.click()
    raise AssertionError(f"never shown: {shown}")


async def test_an_admin_manages_endpoints_and_replays_a_failed_delivery(tmp_path: Path) -> None:
    require_chromium()
    with (
        live_server(tmp_path, database_url=own_sqlite(tmp_path), **LOOPBACK_FAST) as server,
        running_receiver() as receiver,
    ):
        key = server.api_key("admin", "crm:read", "crm:write")
        graphql(
            server,
            key,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            {"input": {"email": "hooks@example.com", "password": PASSWORD, "isAdmin": True}},
        )
        receiver.default = 500  # failing until the admin has looked
        async with visit(server, "/") as seen:
            page = seen.page
            page.on("dialog", lambda dialog: dialog.accept())
            await sign_in(page, "hooks@example.com")
            await page.get_by_role("link", name="Webhooks").click()
            form = page.get_by_role("form", name="Create a webhook endpoint")
            await form.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data")
            await form.get_by_label("call.started").check()
            await form.get_by_role("button", name="Create endpoint").click()
            await form.get_by_role("alert").get_by_text("is refused").wait_for()
            await form.get_by_label("URL").fill(receiver.url)
            await form.get_by_label("Description").fill("the test receiver")
            await form.get_by_role("button", name="Create endpoint").click()
            shown = page.locator(".secret")
            await shown.wait_for()
            receiver.secret = await shown.inner_text()
            assert receiver.secret.startswith("whsec_")
            row = page.get_by_role("row").filter(has_text=receiver.url)
            await row.get_by_text("active").wait_for()

            graphql(
                server,
                key,
                "mutation($input: CreateActivityInput!) { createActivity(input: $input) "
                "{ activity { id } } }",
                {"input": {"callId": "console-hook", "direction": "INBOUND"}},
            )
            await row.get_by_role("link", name=receiver.url).click()
            # Two attempts, 500 each, then a dead letter.
            await refreshed_until(page, page.get_by_text("FAILED"))
            attempts = page.get_by_role("table", name="Attempts of")
            await attempts.get_by_role("cell", name="answered 500").first.wait_for()
            assert await attempts.get_by_role("row").filter(has_text="500").count() == 2
            webhook_id = receiver.requests[0].webhook_id

            receiver.default = 200
            await page.get_by_role("button", name=f"Replay {webhook_id}").click()
            await receiver.wait_for(1)
            await refreshed_until(page, page.get_by_text("DELIVERED"))
            assert [r.webhook_id for r in receiver.delivered] == [webhook_id]

            await page.get_by_role("link", name="All endpoints").click()
            row = page.get_by_role("row").filter(has_text=receiver.url)
            await row.get_by_role("button", name=f"Pause {receiver.url}").click()
            await row.get_by_text("paused").wait_for()
            await row.get_by_role("button", name=f"Rotate the secret of {receiver.url}").click()
            await page.get_by_text("New signing secret of").wait_for()
            rotated = await page.locator(".secret").inner_text()
            assert rotated.startswith("whsec_")
            assert rotated != receiver.secret
            await row.get_by_text("old secret signs until").wait_for()
            await row.get_by_role("button", name=f"Delete {receiver.url}").click()
            await page.get_by_text("No endpoints yet.").wait_for()
        left = graphql(server, key, "{ webhookEndpoints { id } }", {})
        assert left["webhookEndpoints"] == []
