"""Credential storage: hashes only, and expired rows purged while live ones stay."""

from __future__ import annotations

from datetime import timedelta

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from litestar import Litestar

from crm.domain.credentials import CredentialService, Grant, parse_scopes, pkce_s256
from crm.domain.users import UserInput
from crm.domain.validation import now
from crm.tables import AuthorizationCode, OAuthClient, RefreshToken, TokenRevocation


def test_pkce_s256_agrees_with_authlib() -> None:
    for length in (43, 64, 128):
        verifier = generate_token(length)
        assert pkce_s256(verifier) == create_s256_code_challenge(verifier)


def test_hashes_are_keyed_and_never_the_secret() -> None:
    one, other = CredentialService("k" * 40), CredentialService("j" * 40)
    assert one.hash("secret") != "secret"
    assert one.hash("secret") != other.hash("secret")
    assert one.hash("secret") == CredentialService("k" * 40).hash("secret")


def test_scopes_parse_from_spaces_commas_and_lists() -> None:
    assert parse_scopes("ringotel, crm:read") == {"ringotel", "crm:read"}
    assert parse_scopes(["admin"]) == {"admin"}
    assert parse_scopes(None) == frozenset()


async def test_purge_drops_only_what_can_no_longer_be_used(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    services = app.state.services
    credentials: CredentialService = services.credentials
    user = await services.users.create(UserInput(email="p@example.com", password="long enough"))
    client, _ = await credentials.create_client("c", ["https://a.test/cb"])
    for _ in range(2):
        await credentials.issue_code(client, user.id, "https://a.test/cb", {"ringotel"}, None)
        grant = Grant(user_id=user.id, scopes=frozenset({"ringotel"}), family=user.id)
        await credentials.issue_refresh_token(client, grant)
    await credentials.revoke_token_id("gone", now() - timedelta(seconds=1))
    await credentials.revoke_token_id("live", now() + timedelta(hours=1))
    past = now() - timedelta(seconds=1)
    first_code = await AuthorizationCode.select(AuthorizationCode.id).first()
    first_token = await RefreshToken.select(RefreshToken.id).first()
    assert first_code is not None
    assert first_token is not None
    await AuthorizationCode.update({AuthorizationCode.expires_at: past}).where(
        AuthorizationCode.id == first_code["id"]
    )
    await RefreshToken.update({RefreshToken.expires_at: past}).where(
        RefreshToken.id == first_token["id"]
    )

    await credentials.purge_expired()

    assert await AuthorizationCode.count() == 1
    assert await RefreshToken.count() == 1
    assert [row["token_id"] for row in await TokenRevocation.select(TokenRevocation.token_id)] == [
        "live"
    ]
    assert await OAuthClient.count() == 1


async def test_listings_hold_revoked_rows_oldest_first(app: Litestar) -> None:
    service: CredentialService = app.state.services.credentials
    first, _ = await service.create_api_key("First", ["crm:read"])
    second, _ = await service.create_api_key("Second", ["ringotel"])
    await service.revoke_api_key(first.key_id)
    keys = [(row.key_id, row.revoked_at is not None) for row in await service.api_keys()]
    assert keys[-2:] == [(first.key_id, True), (second.key_id, False)]
    client, _ = await service.create_client("Ringotel", [], ["ringotel"])
    await service.revoke_client(client.client_id)
    listed = await service.clients()
    assert [row.client_id for row in listed][-1] == client.client_id
    assert listed[-1].revoked_at is not None
