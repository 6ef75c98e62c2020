"""The console's test rig: a real `crm serve` with a known contact, the credentials to
drive it as Ringotel and as an admin would, and a sign-in through the form."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.live_server import LiveServer, live_server, own_database

PASSWORD = "correct horse battery"
EXTENSION = "500"
CONTACT_NUMBER = "+1 212-555-0134"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs"


@dataclass
class Console:
    """A running server with an agent, a known contact and the credentials to drive it."""

    server: LiveServer
    admin_key: str
    ringotel_key: str
    contact_id: str

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(
            self.server.url + "/graphql",
            headers={"Authorization": f"Bearer {self.admin_key}"},
            json={"query": query, "variables": variables or {}},
        )
        body: dict[str, Any] = answer.json()
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    def webhook(self, method: str, call_id: str, caller: str, **params: Any) -> None:
        """Report a call as Ringotel's Webhook integration does."""
        body = {
            "method": method,
            "api_token": self.ringotel_key,
            "params": {
                "connection_name": "PBX",
                "connection_id": "17295345566567084859",
                "domain": "example",
                "extension": EXTENSION,
                "activity_type": "inbound",
                "call_start": now_ms() - 60_000,
                "called_number": EXTENSION,
                "caller_number": caller,
                "call_id": call_id,
                **params,
            },
        }
        answer = httpx.post(self.server.url + "/ringotel/webhook", json=body)
        assert answer.status_code < 300, answer.text

    def activity_id(self, call_id: str) -> str:
        data = self.graphql("{ activities { nodes { id callId } } }")
        return str(
            next(node["id"] for node in data["activities"]["nodes"] if node["callId"] == call_id)
        )

    def attach_recording(self, call_id: str, audio: bytes) -> None:
        """Upload a call's recording as Ringotel does."""
        activity = self.activity_id(call_id)
        uploaded = httpx.post(
            f"{self.server.url}/ringotel/v1/activities/{activity}/recording",
            content=audio,
            headers={"Authorization": f"Bearer {self.ringotel_key}", "Content-Type": "audio/wav"},
        )
        assert uploaded.status_code < 300, uploaded.text

    def make_agent(self, email: str, extension: str, *, admin: bool = False) -> str:
        """A new agent at `extension`, named after the mailbox of `email`."""
        data = self.graphql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            {
                "input": {
                    "email": email,
                    "password": PASSWORD,
                    "firstName": email.partition("@")[0].capitalize(),
                    "lastName": "Agent",
                    "extension": extension,
                    "isAdmin": admin,
                }
            },
        )
        return str(data["createUser"]["id"])


@contextmanager
def console_server(folder: Path, label: str) -> Iterator[Console]:
    """A server of its own in `folder`, on a database of its own named after `label` (on
    the test database's engine), with Ada Lovelace on file."""
    with own_database(folder, label) as url, live_server(folder, database_url=url) as server:
        admin_key = server.api_key("admin", "crm:read", "crm:write")
        console = Console(server, admin_key, server.api_key("ringotel"), contact_id="")
        created = console.graphql(
            "mutation($input: CreateContactInput!) { createContact(input: $input) "
            "{ contact { id } } }",
            {
                "input": {
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "jobTitle": "Analyst",
                    "email": "ada@engines.example",
                    "companyName": "Analytical Engines",
                    "phones": [{"number": CONTACT_NUMBER, "kind": "WORK"}],
                }
            },
        )
        console.contact_id = created["createContact"]["contact"]["id"]
        yield console


def now_ms() -> int:
    return int(time.time() * 1000)


def screenshot_wanted() -> bool:
    """Whether to write the README's screenshots (`CRM_CONSOLE_SCREENSHOTS=1`)."""
    wanted = os.environ.get("CRM_CONSOLE_SCREENSHOTS") == "1"
    if wanted:
        SCREENSHOTS.mkdir(exist_ok=True)
    return wanted


async def sign_in(page: Any, email: str) -> None:
    """Sign in through the form at `/`, as a person would, with the keyboard."""
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Password").press("Enter")
    await page.get_by_role("button", name="Sign out").wait_for()
