"""Credentials in GraphQL: API keys and OAuth2 clients, listed, created and revoked (admin only).

A secret is in the answer of the mutation that makes it, and only there; what is listed
carries no hash and no secret.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm.domain.credentials import redirect_uris_of
from crm.domain.validation import as_utc
from crm.graphql.context import Info
from crm.graphql.permissions import IsAdmin
from crm.tables import ApiKey, OAuthClient

_SCOPES = "Scope names: `ringotel`, `crm:read`, `crm:write`, `admin`."


def _revoked(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


@strawberry.type(name="ApiKey")
class ApiKeyType:
    """A Bearer API key; `id` is its public part (the key reads `crmk_<id>_<secret>`)."""

    id: strawberry.ID
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = strawberry.field(description="Null while the key works.")

    @classmethod
    def from_row(cls, row: ApiKey) -> ApiKeyType:
        return cls(
            id=strawberry.ID(row.key_id),
            name=row.name,
            scopes=row.scopes.split(),
            created_at=as_utc(row.created_at),
            revoked_at=_revoked(row.revoked_at),
        )


@strawberry.type(name="OAuthClient")
class OAuthClientType:
    """An OAuth2 client; `id` is its `client_id` (also the Basic user name)."""

    id: strawberry.ID
    name: str
    redirect_uris: list[str]
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = strawberry.field(description="Null while the client works.")

    @classmethod
    def from_row(cls, row: OAuthClient) -> OAuthClientType:
        return cls(
            id=strawberry.ID(row.client_id),
            name=row.name,
            redirect_uris=redirect_uris_of(row),
            scopes=row.scopes.split(),
            created_at=as_utc(row.created_at),
            revoked_at=_revoked(row.revoked_at),
        )


@strawberry.type
class ApiKeyWithSecret:
    """A new API key and the key itself, shown this once."""

    api_key: ApiKeyType
    key: str = strawberry.field(description="`crmk_...`: the whole Bearer token.")


@strawberry.type
class OAuthClientWithSecret:
    """A new OAuth2 client and its secret, shown this once."""

    client: OAuthClientType
    secret: str


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[str] | None = strawberry.field(
        default=None, description=f"{_SCOPES} Left out: all but `admin`."
    )


@strawberry.input
class CreateOAuthClientInput:
    name: str
    redirect_uris: list[str] = strawberry.field(
        default_factory=list,
        description="Exact absolute http(s) URIs the authorization-code flow may return to.",
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description=f"{_SCOPES} Left out: all but `admin`."
    )


@strawberry.type
class CredentialQuery:
    @strawberry.field(
        permission_classes=[IsAdmin], description="Every API key, revoked ones too, oldest first."
    )
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        rows = await info.context.services.credentials.api_keys()
        return [ApiKeyType.from_row(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Every OAuth2 client, revoked ones too, oldest first.",
    )
    async def oauth_clients(self, info: Info) -> list[OAuthClientType]:
        rows = await info.context.services.credentials.clients()
        return [OAuthClientType.from_row(row) for row in rows]


@strawberry.type
class CredentialMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Create an API key; the key is in the answer, and only there.",
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyWithSecret:
        row, key = await info.context.services.credentials.create_api_key(input.name, input.scopes)
        return ApiKeyWithSecret(api_key=ApiKeyType.from_row(row), key=key)

    @strawberry.mutation(
        name="createOAuthClient",
        permission_classes=[IsAdmin],
        description="Create an OAuth2 client; its secret is in the answer, and only there.",
    )
    async def create_oauth_client(
        self, info: Info, input: CreateOAuthClientInput
    ) -> OAuthClientWithSecret:
        row, secret = await info.context.services.credentials.create_client(
            input.name, input.redirect_uris, input.scopes
        )
        return OAuthClientWithSecret(client=OAuthClientType.from_row(row), secret=secret)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="End an API key at once (revoking it again changes nothing).",
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyType:
        return ApiKeyType.from_row(await info.context.services.credentials.revoke_api_key(id))

    @strawberry.mutation(
        name="revokeOAuthClient",
        permission_classes=[IsAdmin],
        description="End an OAuth2 client at once, with its refresh and access tokens.",
    )
    async def revoke_oauth_client(self, info: Info, id: strawberry.ID) -> OAuthClientType:
        return OAuthClientType.from_row(await info.context.services.credentials.revoke_client(id))
