"""The statements of `crm.domain.credentials`: clients, API keys, codes, refresh tokens and
access-token revocations."""

from __future__ import annotations

import uuid
from datetime import datetime

from crm.queries.rows import fetch, first_row, select_sql
from crm.tables import ApiKey, AuthorizationCode, OAuthClient, RefreshToken, TokenRevocation

# Checked on every request, so written as constant statements rather than built anew.
_ACTIVE_CLIENT = select_sql(OAuthClient, "client_id = {} AND revoked_at IS NULL")
_ACTIVE_API_KEY = select_sql(ApiKey, "key_id = {} AND revoked_at IS NULL")
_TOKEN_STANDING = " ".join(
    (
        "SELECT",
        "EXISTS (SELECT 1 FROM crm_token_revocation WHERE token_id IN ({}, {})) AS revoked,",
        "EXISTS (SELECT 1 FROM crm_oauth_client WHERE client_id = {} AND revoked_at IS NULL)",
        "AS client_active,",
        "(SELECT is_active FROM crm_user WHERE id = {}) AS user_active",
    )
)

_SESSION_STANDING = " ".join(
    (
        "SELECT",
        "EXISTS (SELECT 1 FROM crm_token_revocation WHERE token_id = {}) AS revoked,",
        "(SELECT is_active FROM crm_user WHERE id = {}) AS user_active,",
        "(SELECT is_admin FROM crm_user WHERE id = {}) AS user_admin",
    )
)


async def active_client(client_id: str) -> OAuthClient | None:
    """The client with this id, unless it was revoked."""
    return await first_row(OAuthClient, _ACTIVE_CLIENT, client_id)


async def client_by_id(client_id: str) -> OAuthClient | None:
    """The client with this id, revoked or not."""
    return await OAuthClient.objects().where(OAuthClient.client_id == client_id).first()


async def active_api_key(key_id: str) -> ApiKey | None:
    """The API key with this id, unless it was revoked."""
    return await first_row(ApiKey, _ACTIVE_API_KEY, key_id)


async def api_key_by_id(key_id: str) -> ApiKey | None:
    """The API key with this id, revoked or not."""
    return await ApiKey.objects().where(ApiKey.key_id == key_id).first()


async def all_clients() -> list[OAuthClient]:
    """Every client, revoked ones included, oldest first."""
    return await OAuthClient.objects().order_by(OAuthClient.created_at, OAuthClient.client_id)


async def all_api_keys() -> list[ApiKey]:
    """Every API key, revoked ones included, oldest first."""
    return await ApiKey.objects().order_by(ApiKey.created_at, ApiKey.key_id)


async def code_by_hash(code_hash: str) -> AuthorizationCode | None:
    return await AuthorizationCode.objects().where(AuthorizationCode.code_hash == code_hash).first()


async def claim_code(code_id: uuid.UUID, at: datetime) -> bool:
    """Mark a code used at `at`, unless it was used already; whether this call used it."""
    return await _claim(AuthorizationCode, code_id, at)


async def refresh_token_by_hash(token_hash: str) -> RefreshToken | None:
    return await RefreshToken.objects().where(RefreshToken.token_hash == token_hash).first()


async def claim_refresh_token(token_id: uuid.UUID, at: datetime) -> bool:
    """Mark a refresh token used at `at`, unless it was used already; whether this call did."""
    return await _claim(RefreshToken, token_id, at)


async def _claim(
    table: type[AuthorizationCode] | type[RefreshToken], row_id: uuid.UUID, at: datetime
) -> bool:
    """Set `used_at` of a one-time credential that has none; whether this call set it."""
    claimed = (
        await table.update({table.used_at: at})
        .where((table.id == row_id) & table.used_at.is_null())
        .returning(table.id)
    )
    return bool(claimed)


async def revoke_client_tokens(client: uuid.UUID, at: datetime) -> None:
    """Revoke, at `at`, every refresh token of the client not revoked yet."""
    await RefreshToken.update({RefreshToken.revoked_at: at}).where(
        (RefreshToken.client == client) & RefreshToken.revoked_at.is_null()
    )


async def revoke_family_tokens(family: uuid.UUID, at: datetime) -> None:
    """Revoke, at `at`, every refresh token of the family not revoked yet."""
    await RefreshToken.update({RefreshToken.revoked_at: at}).where(
        (RefreshToken.family == family) & RefreshToken.revoked_at.is_null()
    )


async def add_revocation(row: TokenRevocation) -> None:
    """Store a revocation, unless its token id is revoked already (the first one stands)."""
    await TokenRevocation.insert(row).on_conflict(
        target=TokenRevocation.token_id, action="DO NOTHING"
    )


async def token_standing(
    token_id: str, family: str, client_id: str, user_id: uuid.UUID | None
) -> tuple[bool, bool, bool | None]:
    """(revoked, client active, user active) of an access token, in one round trip; the
    token counts as revoked when its id or its family is."""
    records = await fetch(_TOKEN_STANDING, token_id, family, client_id, user_id)
    standing = records[0]
    return bool(standing["revoked"]), bool(standing["client_active"]), standing["user_active"]


async def session_standing(
    session_id: str, user_id: uuid.UUID
) -> tuple[bool, bool | None, bool | None]:
    """(ended, user active, user admin) of a console session, in one round trip; the user's
    fields are None when the user is gone."""
    records = await fetch(_SESSION_STANDING, session_id, user_id, user_id)
    standing = records[0]
    return bool(standing["revoked"]), standing["user_active"], standing["user_admin"]


async def purge_expired(at: datetime) -> None:
    """Drop revocations, codes and refresh tokens that expired before `at`."""
    await TokenRevocation.delete().where(TokenRevocation.expires_at < at)
    await AuthorizationCode.delete().where(AuthorizationCode.expires_at < at)
    await RefreshToken.delete().where(RefreshToken.expires_at < at)
