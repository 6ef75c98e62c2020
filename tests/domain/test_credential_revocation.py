"""Revoking a client or a token family writes two tables in one transaction: a failure
half-way leaves both as they were."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from litestar import Litestar

from crm.domain.credentials import CredentialService, Grant
from crm.domain.users import UserInput
from crm.queries import credentials as queries
from crm.tables import OAuthClient, RefreshToken, TokenRevocation


class Broken(Exception):
    """The database write that fails half-way through a revocation."""


async def _fail(*_: object) -> None:
    raise Broken


async def _client_with_token(app: Litestar) -> tuple[CredentialService, OAuthClient, Grant]:
    services = app.state.services
    user = await services.users.create(UserInput(email="r@example.com", password="long enough"))
    client, _ = await services.credentials.create_client("c", ["https://a.test/cb"])
    grant = Grant(user_id=user.id, scopes=frozenset({"ringotel"}), family=user.id)
    await services.credentials.issue_refresh_token(client, grant)
    return services.credentials, client, grant


async def _revoked_tokens() -> int:
    count: int = await RefreshToken.count().where(RefreshToken.revoked_at.is_not_null())
    return count


@pytest.mark.parametrize(
    ("failing", "revoke"),
    [
        (
            "revoke_client_tokens",
            lambda credentials, client, grant: credentials.revoke_client(client.client_id),
        ),
        (
            "add_revocation",
            lambda credentials, client, grant: credentials.revoke_family(grant.family),
        ),
    ],
    ids=["client", "family"],
)
async def test_a_revocation_that_fails_half_way_leaves_both_tables_as_they_were(
    app: Litestar,
    anonymous: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
    revoke: Callable[[CredentialService, OAuthClient, Grant], Awaitable[object]],
) -> None:
    credentials, client, grant = await _client_with_token(app)
    monkeypatch.setattr(queries, failing, _fail)
    with pytest.raises(Broken):
        await revoke(credentials, client, grant)
    assert await credentials.client(client.client_id) is not None
    assert await _revoked_tokens() == 0
    assert await TokenRevocation.count() == 0


async def test_revocations_write_both_tables(app: Litestar, anonymous: httpx.AsyncClient) -> None:
    credentials, client, grant = await _client_with_token(app)
    await credentials.revoke_family(grant.family)
    await credentials.revoke_family(grant.family)  # a second revocation of one family is fine
    assert await _revoked_tokens() == 1
    assert await TokenRevocation.count() == 1
    await credentials.revoke_client(client.client_id)
    assert await credentials.client(client.client_id) is None
