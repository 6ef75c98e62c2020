"""Ringotel's whole workflow, driven through the integration JSON the CRM generates.

Every hook is called the way Ringotel calls it: placeholders filled into the
document's path and body, the answer read through its `response_map`, and the
ids read there fed into the next hooks. Run per auth mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.facade.ringotel import Answer, Ringotel
from tests.facade.seed import make_user

Credentials = Callable[[httpx.AsyncClient], Awaitable[dict[str, str]]]


async def bearer_credentials(client: httpx.AsyncClient) -> dict[str, str]:
    """The form value for the bearer mode: the API key the test client authenticates with."""
    _, _, key = client.headers.get("Authorization", "Bearer none").partition(" ")
    return {"API key": key}


AUTH_MODES: dict[str, Credentials] = {"bearer": bearer_credentials}
"""Each auth mode the CRM offers, and how a test gets the form values for it."""


@pytest.fixture(params=sorted(AUTH_MODES))
async def ringotel(request: pytest.FixtureRequest, client: httpx.AsyncClient) -> Ringotel:
    """A Ringotel server configured with the CRM's integration JSON for one auth mode."""
    mode: str = request.param
    document = (await client.get("/ringotel/integration.json", params={"auth": mode})).json()
    return Ringotel(client, document, await AUTH_MODES[mode](client))


async def test_every_hook_of_the_document_runs_in_workflow_order(
    client: httpx.AsyncClient, ringotel: Ringotel
) -> None:
    agent = await make_user(
        client, "agent@example.com", firstName="Ann", lastName="Agent", extension="101"
    )
    await make_user(client, "left@example.com", isActive=False)
    called: list[str] = []

    async def call(hook: str, **kwargs: Any) -> Answer:
        answer = await ringotel.call(hook, **kwargs)
        called.append(hook)
        assert answer.response.status_code < 300, (hook, answer.response.text)
        return answer

    # Setup in the admin portal: map Ringotel users onto CRM users.
    users = await call("Users")
    assert [r["user_id"] for r in users.records] == [agent["id"]]
    assert users.records[0]["extension"] == "101"
    ringotel.variables["user_id"] = users.records[0]["user_id"]

    # A caller the CRM does not know yet: Ringotel creates the contact, with its company.
    created = await call(
        "CreateContact",
        firstname="Carol",
        lastname="Caller",
        email="carol@example.com",
        phone="+1 (201) 555-0123",
        company_name="Acme",
    )  # $mobile$ and $job_title$ stay unfilled, as Ringotel leaves them
    assert created.response.status_code == 201
    contact_id = created.values["contact_id"]
    retried = await call("CreateContact", firstname="Carol", phone="12015550123")
    assert (retried.response.status_code, retried.values["contact_id"]) == (200, contact_id)
    ringotel.variables["contact_id"] = contact_id

    updated = await call("UpdateContact", job_title="Head of Purchasing", mobile="+12015550199")
    assert updated.values["contact_id"] == contact_id

    contacts = await call("Contacts")
    [carol] = contacts.records
    assert carol == {
        "contact_id": contact_id,
        "firstname": "Carol",
        "lastname": "Caller",
        "email": "carol@example.com",
        "phone": "+12015550123",
        "mobile": "+12015550199",
        "company_id": carol["company_id"],
        "company_name": "Acme",
        "job_title": "Head of Purchasing",
    }
    assert contacts.values["next_cursor"] is None

    organizations = await call("Organizations")
    assert [(r["company_id"], r["company_name"]) for r in organizations.records] == [
        (carol["company_id"], "Acme")
    ]

    assert called[0] == "Users"
    assert set(called) == set(ringotel.document["API"]), "a hook of the document was not driven"
