"""API keys and OAuth2 clients through /graphql: an admin lists, creates and revokes them;
the secret is shown once and works on the REST facade until revoked; nobody else may."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.tables import ApiKey, OAuthClient
from tests.graphql_client import gql, gql_errors

CREATE_KEY = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id name scopes createdAt revokedAt } }
}"""
CREATE_CLIENT = """mutation($input: CreateOAuthClientInput!) {
  createOAuthClient(input: $input) {
    secret client { id name redirectUris scopes createdAt revokedAt }
  }
}"""
REVOKE_KEY = "mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }"
REVOKE_CLIENT = "mutation($id: ID!) { revokeOAuthClient(id: $id) { id revokedAt } }"
LIST = """{ apiKeys { id name scopes createdAt revokedAt }
  oauthClients { id name redirectUris scopes createdAt revokedAt } }"""
USERS_HOOK = "/ringotel/v1/users"


async def create_key(client: httpx.AsyncClient, **input: Any) -> dict[str, Any]:
    data = await gql(client, CREATE_KEY, {"input": input})
    created: dict[str, Any] = data["createApiKey"]
    return created


async def create_client(client: httpx.AsyncClient, **input: Any) -> dict[str, Any]:
    data = await gql(client, CREATE_CLIENT, {"input": input})
    created: dict[str, Any] = data["createOAuthClient"]
    return created


async def test_an_api_key_works_on_the_facade_until_it_is_revoked(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    created = await create_key(client, name="Ringotel", scopes=["ringotel"])
    key = created["key"]
    row = created["apiKey"]
    assert key.startswith(f"crmk_{row['id']}_")
    assert row["scopes"] == ["ringotel"]
    assert row["revokedAt"] is None
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await anonymous.get(USERS_HOOK, headers=bearer)).status_code == 200

    revoked = await gql(client, REVOKE_KEY, {"id": row["id"]})
    assert revoked["revokeApiKey"]["revokedAt"] is not None
    assert (await anonymous.get(USERS_HOOK, headers=bearer)).status_code == 403
    again = await gql(client, REVOKE_KEY, {"id": row["id"]})  # a no-op that succeeds
    assert again["revokeApiKey"]["revokedAt"] == revoked["revokeApiKey"]["revokedAt"]


async def test_a_client_grants_tokens_until_it_is_revoked(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    created = await create_client(
        client,
        name="Ringotel",
        redirectUris=["https://ringotel.test/callback", "https://ringotel.test/callback"],
        scopes=["ringotel"],
    )
    row = created["client"]
    assert row["id"].startswith("crmc_")
    assert row["redirectUris"] == ["https://ringotel.test/callback"]  # kept once
    basic = httpx.BasicAuth(row["id"], created["secret"])
    token = await anonymous.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=basic
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await anonymous.get(USERS_HOOK, headers=bearer)).status_code == 200
    assert (await anonymous.get(USERS_HOOK, auth=basic)).status_code == 200

    await gql(client, REVOKE_CLIENT, {"id": row["id"]})
    assert (await anonymous.get(USERS_HOOK, headers=bearer)).status_code == 403
    assert (await anonymous.get(USERS_HOOK, auth=basic)).status_code == 403
    refused = await anonymous.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=basic
    )
    assert refused.status_code == 401


async def test_lists_show_revoked_credentials_and_never_a_secret_or_hash(
    client: httpx.AsyncClient,
) -> None:
    key = await create_key(client, name="kept")
    gone = await create_key(client, name="gone", scopes=["crm:read"])
    await gql(client, REVOKE_KEY, {"id": gone["apiKey"]["id"]})
    app_client = await create_client(client, name="tool")
    response = await client.post("/graphql", json={"query": LIST})
    body = response.json()["data"]
    names = {row["name"]: row for row in body["apiKeys"]}
    assert names["kept"]["scopes"] == ["crm:read", "crm:write", "ringotel"]  # the default
    assert names["kept"]["revokedAt"] is None
    assert names["gone"]["revokedAt"] is not None
    assert [row["name"] for row in body["oauthClients"]] == ["tool"]
    stored = [row.secret_hash for row in await ApiKey.objects()]
    stored += [row.secret_hash for row in await OAuthClient.objects()]
    # crmk_<key id>_<secret>: the id is hex, the secret may hold "_" itself.
    key_secret = key["key"].removeprefix("crmk_").partition("_")[2]
    for secret in [key["key"], key_secret, app_client["secret"], *stored]:
        assert secret not in response.text


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (LIST, {}),
        ("{ apiKeys { id } }", {}),
        (CREATE_KEY, {"input": {"name": "sneaky", "scopes": ["admin"]}}),
        (CREATE_CLIENT, {"input": {"name": "sneaky"}}),
        (REVOKE_KEY, {"id": "0011223344556677"}),
        (REVOKE_CLIENT, {"id": "crmc_0011223344556677"}),
    ],
)
async def test_a_credential_without_admin_is_refused_and_nothing_changes(
    app: Litestar, anonymous: httpx.AsyncClient, document: str, variables: dict[str, Any]
) -> None:
    _, key = await app.state.services.credentials.create_api_key(
        "agent", ["ringotel", "crm:read", "crm:write"]
    )
    before = (await ApiKey.count(), await OAuthClient.count())
    response = await anonymous.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )
    body = response.json()
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert (await ApiKey.count(), await OAuthClient.count()) == before


@pytest.mark.parametrize(
    ("document", "input", "field"),
    [
        (CREATE_KEY, {"name": "k", "scopes": ["everything"]}, "scopes"),
        (CREATE_KEY, {"name": "k", "scopes": ["crm:read", "root"]}, "scopes"),
        (CREATE_KEY, {"name": "k", "scopes": []}, "scopes"),
        (CREATE_KEY, {"name": "k", "scopes": ["  "]}, "scopes"),
        (CREATE_KEY, {"name": "", "scopes": ["ringotel"]}, "name"),
        (CREATE_KEY, {"name": " \t ", "scopes": ["ringotel"]}, "name"),
        (CREATE_KEY, {"name": "a\x00b"}, "name"),
        (CREATE_KEY, {"name": "x" * 201}, "name"),
        (CREATE_CLIENT, {"name": "c", "scopes": ["crm:everything"]}, "scopes"),
        (CREATE_CLIENT, {"name": "c", "redirectUris": ["https://a.test/", "ftp://a/"]}, None),
        (CREATE_CLIENT, {"name": "c", "redirectUris": ["https://a.test/#frag"]}, None),
        (CREATE_CLIENT, {"name": "c", "redirectUris": ["/relative"]}, None),
        (CREATE_CLIENT, {"name": "c", "redirectUris": ["javascript:alert(1)"]}, None),
        (CREATE_CLIENT, {"name": "\x00"}, "name"),
    ],
)
async def test_bad_input_names_its_field_and_creates_nothing(
    client: httpx.AsyncClient, document: str, input: dict[str, Any], field: str | None
) -> None:
    before = (await ApiKey.count(), await OAuthClient.count())
    errors = await gql_errors(client, document, {"input": input})
    extensions = errors[0]["extensions"]
    assert extensions["code"] == "VALIDATION", errors
    bad_uri = len(input.get("redirectUris", [])) - 1
    assert extensions["field"] == (field or f"redirectUris.{bad_uri}")
    assert (await ApiKey.count(), await OAuthClient.count()) == before


async def test_a_hostile_name_is_kept_as_text(client: httpx.AsyncClient) -> None:
    name = "<img src=x onerror=alert(1)> ‮Ringotel\n'; DROP TABLE crm_api_key; --"
    created = await create_key(client, name=name, scopes=["ringotel"])
    assert created["apiKey"]["name"] == name.strip()
    listed = await gql(client, "{ apiKeys { name } }")
    assert {"name": name.strip()} in listed["apiKeys"]


@pytest.mark.parametrize(
    ("document", "id"),
    [
        (REVOKE_KEY, "0011223344556677"),
        (REVOKE_KEY, ""),
        (REVOKE_KEY, "crmk_"),
        (REVOKE_KEY, "x" * 5000),
        (REVOKE_CLIENT, "crmc_nobody"),
        (REVOKE_CLIENT, "'; --"),
    ],
)
async def test_revoking_an_unknown_credential_is_not_found(
    client: httpx.AsyncClient, document: str, id: str
) -> None:
    errors = await gql_errors(client, document, {"id": id})
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


@pytest.mark.parametrize(
    ("document", "id"), [(REVOKE_KEY, "00112233\x0044556677"), (REVOKE_CLIENT, "crmc_\x00")]
)
async def test_an_id_holding_a_nul_is_refused_by_name(
    client: httpx.AsyncClient, document: str, id: str
) -> None:
    errors = await gql_errors(client, document, {"id": id})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "id"}


async def test_an_api_key_is_revoked_by_its_whole_key_too(client: httpx.AsyncClient) -> None:
    created = await create_key(client, name="pasted", scopes=["crm:read"])
    revoked = await gql(client, REVOKE_KEY, {"id": created["key"]})
    assert revoked["revokeApiKey"]["id"] == created["apiKey"]["id"]
