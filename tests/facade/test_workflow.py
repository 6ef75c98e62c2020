"""Ringotel's whole workflow, driven through the integration JSON the CRM generates.

Every hook is called the way Ringotel calls it: placeholders filled into the
document's path and body, the answer read through its `response_map`, and the
ids read there fed into the next hooks. Run per auth mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.facade.ringotel import Ringotel
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
    called: set[str] = set()

    # Setup in the admin portal: map Ringotel users onto CRM users.
    users = await ringotel.call("Users")
    called.add("Users")
    assert users.response.status_code == 200
    assert [r["user_id"] for r in users.records] == [agent["id"]]
    assert users.records[0]["extension"] == "101"
    ringotel.variables["user_id"] = users.records[0]["user_id"]

    assert called == set(ringotel.document["API"]), "a hook of the document was not driven"
