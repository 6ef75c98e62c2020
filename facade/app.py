"""The app factory: one Litestar app serving GraphQL, the Ringotel routes and the probes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, Reference, SecurityScheme

from crm.db import bind_tables, close_engine, make_engine, open_engine, ping
from crm.domain.config import DomainConfig
from crm.domain.principal import Scope
from crm.domain.services import Services
from crm.graphql.schema import schema
from crm.settings import Settings, load_settings
from facade.allow import AllowMiddleware
from facade.auth.guards import authorize
from facade.auth.middleware import AuthenticationMiddleware, Authenticator
from facade.auth.oauth import OAuthController
from facade.auth.tokens import TokenSigner
from facade.errors import EXCEPTION_HANDLERS
from facade.graphql import graphql_controller
from facade.health import health, ready
from facade.operations import Operations
from facade.ringotel.controllers import hook_handlers
from facade.ringotel.integration import integration_json, integration_logo
from facade.ringotel.table import HOOKS

OAUTH_SCOPES = {
    Scope.RINGOTEL.value: "The Ringotel REST facade.",
    Scope.READ.value: "GraphQL queries.",
    Scope.WRITE.value: "GraphQL mutations.",
    Scope.ADMIN.value: "Users and credentials.",
}

SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "apiKey": SecurityScheme(
        type="http", scheme="bearer", description="An API key from `crm apikey create`."
    ),
    "oauth2Token": SecurityScheme(
        type="oauth2",
        description="An access token (a JWT, sent as `Authorization: Bearer`) from `/oauth/token`.",
        flows=OAuthFlows(
            authorization_code=OAuthFlow(
                authorization_url="/oauth/authorize",
                token_url="/oauth/token",  # noqa: S106 (a path, not a secret)
                refresh_url="/oauth/token",
                scopes=OAUTH_SCOPES,
            ),
            client_credentials=OAuthFlow(
                token_url="/oauth/token",  # noqa: S106 (a path, not a secret)
                scopes=OAUTH_SCOPES,
            ),
        ),
    ),
    "clientBasic": SecurityScheme(
        type="http", scheme="basic", description="An OAuth2 client's id and secret."
    ),
}
"""The credentials the API accepts, as the OpenAPI document describes them."""


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for `settings` (read from the environment when not given)."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    services = Services(DomainConfig.from_settings(settings))
    signer = TokenSigner(settings)
    operations = Operations(schema)  # parsed and validated once, here

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        bind_tables(engine)
        await open_engine(engine, pool_min=settings.db_pool_min, pool_max=settings.db_pool_max)
        try:
            await ping(engine)  # fail fast on a misconfigured database
            await services.credentials.purge_expired()
            yield
        finally:
            await close_engine(engine)

    return Litestar(
        route_handlers=[
            health,
            ready,
            graphql_controller(settings),
            OAuthController,
            *hook_handlers(HOOKS, operations),
            integration_json,
            integration_logo,
        ],
        lifespan=[lifespan],
        state=State(
            {"settings": settings, "engine": engine, "services": services, "signer": signer}
        ),
        middleware=[AllowMiddleware(), AuthenticationMiddleware(Authenticator(services, signer))],
        guards=[authorize],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Ringotel CRM",
            version="1",
            description="The REST facade Ringotel's CRM JSON framework calls.",
            components=Components(security_schemes=SECURITY_SCHEMES),
            security=[{name: []} for name in SECURITY_SCHEMES],
            path="/docs",
            render_plugins=[ScalarRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=False,
    )
