"""The app factory: one Litestar app serving GraphQL, the Ringotel routes and the probes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, Reference, SecurityScheme

from crm.domain.config import DomainConfig
from crm.domain.events import EventBus
from crm.domain.principal import Scope
from crm.domain.services import Services
from crm.engine import bind_tables, close_engine, make_engine, open_engine, ping
from crm.graphql.limits import budgets
from crm.graphql.schema import schema
from crm.import_runner import ImportRunner
from crm.metrics import MeteredBus, worker_started, worker_stopped
from crm.pg_events import bus_for
from crm.recording_storage import recording_storage
from crm.settings import Settings, load_settings
from crm.webhook_sender import DeliveryWorker, HttpSender
from facade.allow import AllowMiddleware
from facade.assets import vendored_asset
from facade.auth.guards import authorize
from facade.auth.limits import proxy_headers_middleware
from facade.auth.middleware import AuthenticationMiddleware, Authenticator
from facade.auth.oauth import OAuthController
from facade.auth.session import SessionSigner
from facade.auth.tokens import TokenSigner
from facade.body_timeout import BodyTimeoutMiddleware
from facade.console.routes import console_page, console_static, sign_in, sign_out
from facade.console.transfers import ROUTES as TRANSFER_ROUTES
from facade.docs import ScalarDocs, SwaggerDocs
from facade.errors import EXCEPTION_HANDLERS
from facade.graphiql import graphiql_html
from facade.graphql import graphql_controller
from facade.health import health, ready
from facade.logs import redact_server_logs
from facade.observe import ObserveMiddleware, metrics, observe_unmatched
from facade.operations import Operations
from facade.ringotel.client import HookCore
from facade.ringotel.integration import hook_entries, integration_json, integration_logo
from facade.ringotel.recordings import RECORDING_URL
from facade.ringotel.table import OPERATIONS, ringotel_router
from facade.security_headers import SecurityHeaders, trusted_page_policy

OAUTH_SCOPES = {
    Scope.RINGOTEL.value: "The Ringotel REST facade.",
    Scope.READ.value: "GraphQL queries.",
    Scope.WRITE.value: "GraphQL mutations.",
    Scope.ADMIN.value: "Users and credentials.",
    Scope.METRICS.value: "The Prometheus metrics.",
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


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the origins `CRM_CORS_ORIGINS` names; `None` (closed) when it names none."""
    origins = settings.cors_origin_list
    if not origins:
        return None
    return CORSConfig(allow_origins=list(origins), allow_credentials=False)


def security_headers(settings: Settings) -> SecurityHeaders:
    """The hook that gives every answer its security headers; GraphiQL's page its own CSP."""
    pages = {"/graphql": trusted_page_policy(graphiql_html())} if settings.graphiql else {}
    return SecurityHeaders(pages)


def event_bus(settings: Settings) -> EventBus:
    """The bus of `crm.pg_events.bus_for`, counted."""
    return MeteredBus(bus_for(settings.database_url, settings.events_queue_size))


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for `settings` (read from the environment when not given)."""
    settings = settings or load_settings()
    redact_server_logs()
    engine = make_engine(settings.database_url)
    recording_url = settings.public_url + RECORDING_URL
    events = event_bus(settings)
    services = Services(
        DomainConfig.from_settings(settings, recording_url=recording_url),
        events,
        recording_storage(settings.recordings_place),
    )
    signer = TokenSigner(settings)
    operations = Operations(schema, OPERATIONS)  # parsed and validated once, here
    hook_entries()  # the hooks' declarations fit together, or the app does not start
    limits = budgets(settings)
    worker = (
        DeliveryWorker(
            services.webhooks,
            HttpSender(services.config.webhook_rules, settings.webhook_timeout_s),
            events,
            settings.webhook_poll_s,
        )
        if settings.webhook_worker
        else None
    )

    def provide_services() -> Services:
        return services

    import_runner = ImportRunner(services.import_jobs, services.config)

    def provide_import_runner() -> ImportRunner:
        return import_runner

    hook_core = HookCore(services, operations, limits)
    authenticator = Authenticator(services, signer, SessionSigner(settings))

    def provide_hook_core() -> HookCore:
        return hook_core

    def provide_authenticator() -> Authenticator:
        return authenticator

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        bind_tables(engine)
        await open_engine(engine, pool_min=settings.db_pool_min, pool_max=settings.db_pool_max)
        try:
            await ping(engine)  # fail fast on a misconfigured database
            await services.storage.open()
            await services.storage.check()  # and on a recording store that cannot be used
            await services.credentials.purge_expired()
            await services.import_jobs.fail_stale()  # jobs left running by a server that died
            await events.start()
            if worker is not None:
                await worker.start()
            # What is alive once started (the schema, every module) is moved out of the
            # collector's sight: a full collection would walk it all, a pause of a few
            # hundred ms in which no request is answered. Given back when the app stops.
            gc.freeze()
            worker_started()
            yield
        finally:
            gc.unfreeze()
            worker_stopped()
            await import_runner.stop()
            if worker is not None:
                await worker.stop()
            await events.stop()
            await services.storage.close()
            await close_engine(engine)

    return Litestar(
        route_handlers=[
            health,
            ready,
            metrics,
            graphql_controller(settings, authenticator, events.credential_changes),
            OAuthController,
            ringotel_router(),
            integration_json,
            integration_logo,
            vendored_asset,
            console_page,
            sign_in,
            sign_out,
            console_static,
            *TRANSFER_ROUTES,
        ],
        lifespan=[lifespan],
        dependencies={
            "services": Provide(provide_services, use_cache=True, sync_to_thread=False),
            "hook_core": Provide(provide_hook_core, use_cache=True, sync_to_thread=False),
            "authenticator": Provide(provide_authenticator, use_cache=True, sync_to_thread=False),
            "import_runner": Provide(provide_import_runner, use_cache=True, sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "services": services,
                "signer": signer,
                "import_runner": import_runner,
            }
        ),
        middleware=[
            ObserveMiddleware(engine),
            *proxy_headers_middleware(settings),
            AllowMiddleware(),
            BodyTimeoutMiddleware(settings.http_body_timeout_s, settings.http_body_min_rate),
            AuthenticationMiddleware(authenticator, settings.public_url),
        ],
        guards=[authorize],
        before_send=[security_headers(settings), observe_unmatched],
        cors_config=cors_config(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Ringotel CRM",
            version="1",
            description="The REST facade Ringotel's CRM JSON framework calls.",
            components=Components(security_schemes=SECURITY_SCHEMES),
            security=[{name: []} for name in SECURITY_SCHEMES],
            path="/docs",
            render_plugins=[ScalarDocs(path="/"), SwaggerDocs(path="/swagger")],
        ),
        debug=False,
        # Logging is configured once per process by whoever runs the app (`crm serve`:
        # `crm.log_config`); Litestar's own config would start a queue thread per app.
        logging_config=None,
    )
