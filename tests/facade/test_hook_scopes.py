"""What a credential may do through the hooks: `ringotel` runs them all, and nothing else."""

from __future__ import annotations

import httpx
from litestar import Litestar


async def bearer(app: Litestar, *scopes: str) -> dict[str, str]:
    _, key = await app.state.services.credentials.create_api_key("test", list(scopes))
    return {"Authorization": f"Bearer {key}"}


async def test_a_ringotel_key_reads_and_writes_through_the_hooks(
    anonymous: httpx.AsyncClient, app: Litestar
) -> None:
    headers = await bearer(app, "ringotel")
    created = await anonymous.post(
        "/ringotel/v1/contacts", json={"firstname": "Carol"}, headers=headers
    )
    assert created.status_code == 201, created.text
    listed = await anonymous.get("/ringotel/v1/contacts", headers=headers)
    assert [r["id"] for r in listed.json()["records"]] == [created.json()["id"]]


async def test_a_ringotel_key_runs_no_other_graphql(
    anonymous: httpx.AsyncClient, app: Litestar
) -> None:
    response = await anonymous.post(
        "/graphql",
        json={"query": "{ contacts { nodes { id } } }"},
        headers=await bearer(app, "ringotel"),
    )
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_key_without_the_ringotel_scope_is_refused_by_the_hooks(
    anonymous: httpx.AsyncClient, app: Litestar
) -> None:
    headers = await bearer(app, "crm:read", "crm:write")
    for method, path in [("GET", "/ringotel/v1/users"), ("POST", "/ringotel/v1/contacts")]:
        response = await anonymous.request(method, path, json={"firstname": "X"}, headers=headers)
        assert response.status_code == 403, (path, response.text)
    missing = await anonymous.get("/ringotel/v1/users")
    assert missing.status_code == 403
