"""The OAuth2 server end to end over HTTP, driven by Authlib's httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from litestar import Litestar

from crm.domain.users import UserInput
from tests.auth_tools import exchange_code, sign_in
from tests.conftest import OAUTH_REDIRECT_URI

BASE = "http://crm.test"
AUTHORIZE = f"{BASE}/oauth/authorize"
TOKEN = f"{BASE}/oauth/token"
REVOKE = f"{BASE}/oauth/revoke"
EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"
USERS = "{ users { nodes { email } } }"


@pytest.fixture
async def person(app: Litestar, anonymous: httpx.AsyncClient) -> None:
    """A CRM user who signs in on the authorization page."""
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))


def authlib_session(app: Litestar, client: tuple[str, str], **options: Any) -> AsyncOAuth2Client:
    """Authlib's client for one of our OAuth2 clients, talking to the app over ASGI."""
    asgi_app: Any = app
    return AsyncOAuth2Client(
        client_id=client[0],
        client_secret=client[1],
        transport=httpx.ASGITransport(app=asgi_app),
        base_url=BASE,
        **options,
    )


@pytest.fixture
async def oauth(
    app: Litestar, oauth_client: tuple[str, str], person: None
) -> AsyncIterator[AsyncOAuth2Client]:
    """Authlib's client for the test's OAuth2 client, with a redirect URI and scopes."""
    options = {"redirect_uri": OAUTH_REDIRECT_URI, "scope": "ringotel crm:read"}
    async with authlib_session(app, oauth_client, **options) as session:
        yield session


async def authorize(
    oauth: AsyncOAuth2Client, browser: httpx.AsyncClient, verifier: str | None
) -> dict[str, Any]:
    """Run the browser part of the code flow and exchange the code with Authlib."""
    if verifier is not None:
        oauth.code_challenge_method = "S256"
    url, _state = oauth.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    answer = await sign_in(browser, url, EMAIL, PASSWORD)
    assert answer.status_code == 303, answer.text
    extra = {"code_verifier": verifier} if verifier is not None else {}
    token: dict[str, Any] = await oauth.fetch_token(
        TOKEN, authorization_response=answer.headers["location"], **extra
    )
    return token


async def graphql_status(http: httpx.AsyncClient, access_token: str) -> str:
    """`ok` when the token reads users through GraphQL, else the error code."""
    response = await http.post(
        "/graphql",
        json={"query": USERS},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    body = response.json()
    if body.get("errors"):
        assert body.get("data") is None
        return str(body["errors"][0]["extensions"]["code"])
    assert body["data"]["users"]["nodes"] == [{"email": EMAIL}]
    return "ok"


@pytest.mark.parametrize("pkce", [True, False])
async def test_authorization_code_flow_issues_tokens_that_read_graphql(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient, pkce: bool
) -> None:
    token = await authorize(oauth, anonymous, generate_token(48) if pkce else None)
    assert token["token_type"] == "Bearer"
    assert token["instance_url"] == BASE
    assert token["scope"] == "crm:read ringotel"
    assert token["expires_in"] > 0
    assert token["refresh_token"]
    response = await oauth.post("/graphql", json={"query": USERS})  # Authlib adds the token
    assert response.json() == {"data": {"users": {"nodes": [{"email": EMAIL}]}}}


async def test_authorization_code_is_single_use_and_replay_revokes_its_tokens(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    url, _ = oauth.create_authorization_url(AUTHORIZE)
    location = (await sign_in(anonymous, url, EMAIL, PASSWORD)).headers["location"]
    token = await oauth.fetch_token(TOKEN, authorization_response=location)
    with pytest.raises(OAuthError) as replay:
        await oauth.fetch_token(TOKEN, authorization_response=location)
    assert replay.value.error == "invalid_grant"
    assert await graphql_status(anonymous, token["access_token"]) == "FORBIDDEN"
    with pytest.raises(OAuthError):
        await oauth.refresh_token(TOKEN, refresh_token=token["refresh_token"])


async def test_pkce_code_needs_the_matching_verifier(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    oauth.code_challenge_method = "S256"
    url, _ = oauth.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    location = (await sign_in(anonymous, url, EMAIL, PASSWORD)).headers["location"]
    with pytest.raises(OAuthError) as refused:
        await oauth.fetch_token(
            TOKEN, authorization_response=location, code_verifier=generate_token(48)
        )
    assert refused.value.error == "invalid_grant"


async def test_pkce_code_without_verifier_is_refused(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    oauth.code_challenge_method = "S256"
    url, _ = oauth.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    location = (await sign_in(anonymous, url, EMAIL, PASSWORD)).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = await exchange_code(anonymous, code, oauth_client)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_code_is_bound_to_its_redirect_uri_and_client(
    app: Litestar, oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    url, _ = oauth.create_authorization_url(AUTHORIZE)
    location = (await sign_in(anonymous, url, EMAIL, PASSWORD)).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    other, other_secret = await app.state.services.credentials.create_client(
        "other", [OAUTH_REDIRECT_URI]
    )
    stolen = await exchange_code(anonymous, code, (other.client_id, other_secret))
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    with pytest.raises(OAuthError) as wrong_uri:
        await oauth.fetch_token(TOKEN, code=code, redirect_uri=OAUTH_REDIRECT_URI + "/other")
    assert wrong_uri.value.error == "invalid_grant"


async def test_refresh_rotates_and_reuse_revokes_the_family(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    first = await authorize(oauth, anonymous, generate_token(48))
    second = await oauth.refresh_token(TOKEN, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["instance_url"] == BASE
    assert await graphql_status(anonymous, second["access_token"]) == "ok"

    with pytest.raises(OAuthError) as reuse:
        await oauth.refresh_token(TOKEN, refresh_token=first["refresh_token"])
    assert reuse.value.error == "invalid_grant"
    # The replay ends every token of the family, the legitimate successor too.
    with pytest.raises(OAuthError):
        await oauth.refresh_token(TOKEN, refresh_token=second["refresh_token"])
    assert await graphql_status(anonymous, second["access_token"]) == "FORBIDDEN"


async def test_refresh_may_narrow_but_not_widen_the_scope(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    first = await authorize(oauth, anonymous, None)
    narrowed = await oauth.refresh_token(
        TOKEN, refresh_token=first["refresh_token"], scope="crm:read"
    )
    assert narrowed["scope"] == "crm:read"
    with pytest.raises(OAuthError) as widened:
        await oauth.refresh_token(TOKEN, refresh_token=narrowed["refresh_token"], scope="admin")
    assert widened.value.error == "invalid_scope"  # RFC 6749 §5.2


async def test_refresh_with_too_broad_a_scope_leaves_the_token_usable(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    first = await authorize(oauth, anonymous, None)
    for too_broad in ("admin", "crm:read crm:write"):
        with pytest.raises(OAuthError) as widened:
            await oauth.refresh_token(TOKEN, refresh_token=first["refresh_token"], scope=too_broad)
        assert widened.value.error == "invalid_scope"
    # The refused requests did not use the token up: this is no replay, the family stands.
    second = await oauth.refresh_token(TOKEN, refresh_token=first["refresh_token"])
    assert second["scope"] == "crm:read ringotel"
    assert await graphql_status(anonymous, first["access_token"]) == "ok"
    assert await graphql_status(anonymous, second["access_token"]) == "ok"
    third = await oauth.refresh_token(TOKEN, refresh_token=second["refresh_token"])
    assert await graphql_status(anonymous, third["access_token"]) == "ok"


async def test_client_credentials_grant_has_no_refresh_token(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    token = await oauth.fetch_token(TOKEN, grant_type="client_credentials")
    assert "refresh_token" not in token
    assert token["instance_url"] == BASE
    assert token["scope"] == "crm:read ringotel"
    response = await oauth.post("/graphql", json={"query": USERS})
    assert response.json()["data"]["users"]["nodes"] == [{"email": EMAIL}]


async def test_client_credentials_by_body_authentication(
    app: Litestar, oauth_client: tuple[str, str], person: None
) -> None:
    options = {"token_endpoint_auth_method": "client_secret_post"}
    async with authlib_session(app, oauth_client, **options) as session:
        token = await session.fetch_token(TOKEN, grant_type="client_credentials")
    assert token["token_type"] == "Bearer"


async def test_revoking_access_and_refresh_tokens_ends_them(
    oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    token = await authorize(oauth, anonymous, generate_token(48))
    revoked = await oauth.revoke_token(REVOKE, token=token["access_token"])
    assert revoked.status_code == 200
    assert await graphql_status(anonymous, token["access_token"]) == "FORBIDDEN"

    second = await authorize(oauth, anonymous, None)
    revoked = await oauth.revoke_token(
        REVOKE, token=second["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    with pytest.raises(OAuthError):
        await oauth.refresh_token(TOKEN, refresh_token=second["refresh_token"])
    assert await graphql_status(anonymous, second["access_token"]) == "FORBIDDEN"


async def test_revoking_an_unknown_token_answers_200(oauth: AsyncOAuth2Client) -> None:
    response = await oauth.revoke_token(REVOKE, token="not-a-token")
    assert response.status_code == 200
    assert response.content == b""


async def test_revoked_client_loses_its_tokens_and_basic_access(
    app: Litestar, oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    token = await oauth.fetch_token(TOKEN, grant_type="client_credentials")
    await app.state.services.credentials.revoke_client(oauth.client_id)
    assert await graphql_status(anonymous, token["access_token"]) == "FORBIDDEN"
    with pytest.raises(OAuthError) as refused:
        await oauth.fetch_token(TOKEN, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


async def test_tokens_from_one_worker_are_accepted_by_another(
    app: Litestar, oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    from asgi_lifespan import LifespanManager

    from facade.app import create_app

    token = await authorize(oauth, anonymous, generate_token(48))
    other: Any = create_app(app.state.settings)  # a second process's app: same settings and DB
    async with (
        LifespanManager(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url=BASE) as worker,
    ):
        assert await graphql_status(worker, token["access_token"]) == "ok"
        answer = await worker.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=httpx.BasicAuth(oauth.client_id, oauth.client_secret),
        )
        assert answer.status_code == 200, answer.text
    with pytest.raises(OAuthError):  # rotated on the other worker: a reuse here
        await oauth.refresh_token(TOKEN, refresh_token=token["refresh_token"])


async def test_deactivated_user_loses_access_and_refresh(
    app: Litestar, oauth: AsyncOAuth2Client, anonymous: httpx.AsyncClient
) -> None:
    token = await authorize(oauth, anonymous, generate_token(48))
    user = await app.state.services.users.by_email(EMAIL)
    await app.state.services.users.update(user.id, UserInput(is_active=False))
    assert await graphql_status(anonymous, token["access_token"]) == "FORBIDDEN"
    with pytest.raises(OAuthError) as refused:
        await oauth.refresh_token(TOKEN, refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"
