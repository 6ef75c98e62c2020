"""The `crm` command: the outermost layer, which may import everything.

Nothing imports this module. Each command reads the settings once; a bad
setting stops it with one line that names the variable.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from crm import transfer_cli
from crm.domain.config import DomainConfig
from crm.domain.credentials import redirect_uris_of
from crm.domain.errors import DomainError
from crm.domain.services import Services
from crm.domain.users import UserInput
from crm.domain.webhooks import EndpointInput, WebhookEventType
from crm.engine import bind_tables, close_engine, make_engine, open_engine
from crm.settings import Settings, SettingsError, load_settings
from crm.tables import WebhookEndpoint
from facade.ringotel.integration import AuthMode, integration_document

T = TypeVar("T")


def _settings() -> Settings:
    """The settings with their keys checked (and the key file made), or one line saying why not."""
    try:
        settings = load_settings()
        settings.jwt_signing_keys()
        settings.signing_key()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    return settings


def run_with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """Open the database, run `work` with the services, close it; domain errors become one line."""

    async def main() -> T:
        engine = make_engine(settings.database_url)
        bind_tables(engine)
        await open_engine(engine, pool_min=1, pool_max=4)
        try:
            return await work(Services(DomainConfig.from_settings(settings)))
        finally:
            await close_engine(engine)

    try:
        return asyncio.run(main())
    except DomainError as exc:
        where = f"{exc.field}: " if exc.field else ""
        raise click.ClickException(f"{where}{exc.message}") from None


def emit(record: dict[str, Any], as_json: bool) -> None:
    """Print what a command created: one JSON object with --json, else `key: value` lines."""
    if as_json:
        click.echo(json.dumps(record, default=str))
    else:
        for key, value in record.items():
            click.echo(f"{key}: {value}")


@click.group()
def main() -> None:
    """A CRM for the Ringotel cloud phone system."""


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    settings = _settings()
    click.echo(f"migrating {_redacted(settings.database_url)}")
    result = asyncio.run(run_forwards(app_name="crm"))
    if not result.success:
        raise click.ClickException(f"migration failed: {result.message}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve GraphQL, the Ringotel REST facade and the docs."""
    import uvicorn

    settings = _settings()
    local = f"http://{host}:{port}"
    click.echo(f"GraphQL playground: {local}/graphql")
    click.echo(f"REST API docs:      {local}/docs")
    click.echo(f"Public URL (CRM_PUBLIC_URL, given to Ringotel): {settings.public_url}")
    uvicorn.run(
        "facade.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        # X-Forwarded-For names the client only when it comes from a configured proxy
        # (the app applies the same list, whatever server runs it).
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=list(settings.trusted_proxy_list) or None,
        **_timeouts(settings),
    )


def _timeouts(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for slow and hostile clients: the idle timeout, our header deadline
    (`crm.serving`) and the largest WebSocket message; the body timeout is the app's own
    (`facade.body_timeout`)."""
    return {
        "timeout_keep_alive": settings.http_idle_timeout_s,
        "http": "crm.serving:HeaderDeadlineProtocol",
        # GraphQL's WebSocket: the `websockets` (sans-I/O) implementation, which closes a socket
        # sending a message larger than this (1009) before the app reads any of it.
        "ws": "websockets-sansio",
        "ws_max_size": settings.ws_max_message_bytes,
    }


@main.command("export-schema")
@click.option("--output", default="schema.graphql", show_default=True, type=click.Path())
def export_schema(output: str) -> None:
    """Write the GraphQL schema (SDL) to a file; `-` prints it."""
    from strawberry.printer import print_schema

    from crm.graphql.schema import schema

    text = print_schema(schema) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text)
        click.echo(f"wrote {output}")


@main.group()
def user() -> None:
    """Manage CRM users."""


@user.command("create")
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters; stored as an Argon2 hash. Asked for when not given.",
)
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@click.option("--phone", default=None)
@click.option("--extension", default=None)
@click.option("--admin", is_flag=True, help="May manage users and credentials.")
@click.option("--json", "as_json", is_flag=True, help="Print the user as one JSON object.")
def user_create(
    email: str,
    password: str,
    first_name: str | None,
    last_name: str | None,
    phone: str | None,
    extension: str | None,
    admin: bool,
    as_json: bool,
) -> None:
    """Create a CRM user."""
    data = UserInput(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        extension=extension,
        is_admin=admin,
    )
    row = run_with_services(_settings(), lambda services: services.users.create(data))
    emit(
        {
            "id": str(row.id),
            "email": row.email,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "phone": row.phone,
            "extension": row.extension,
            "is_admin": row.is_admin,
        },
        as_json,
    )


SCOPE_HELP = "A scope to grant (repeat it): ringotel, crm:read, crm:write, admin."


@main.group()
def client() -> None:
    """Manage OAuth2 clients (their id and secret also serve as HTTP Basic credentials)."""


@client.command("create")
@click.option("--name", required=True, help="Who the client is, e.g. Ringotel.")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="An exact redirect URI the client may use (repeat it).",
)
@click.option("--scope", "scopes", multiple=True, help=SCOPE_HELP + " Default: all but admin.")
@click.option("--json", "as_json", is_flag=True, help="Print the client as one JSON object.")
def client_create(
    name: str, redirect_uris: tuple[str, ...], scopes: tuple[str, ...], as_json: bool
) -> None:
    """Create an OAuth2 client; its secret is printed once and stored only as a hash."""
    row, secret = run_with_services(
        _settings(),
        lambda services: services.credentials.create_client(
            name, redirect_uris, _scopes_or_default(scopes)
        ),
    )
    emit(
        {
            "client_id": row.client_id,
            "client_secret": secret,
            "name": row.name,
            "redirect_uris": redirect_uris_of(row),
            "scope": row.scopes,
        },
        as_json,
    )


@client.command("revoke")
@click.argument("client_id")
def client_revoke(client_id: str) -> None:
    """End a client at once: its secret, refresh tokens and access tokens stop working."""
    row = run_with_services(
        _settings(), lambda services: services.credentials.revoke_client(client_id)
    )
    click.echo(f"revoked client {row.client_id}")


@main.group()
def apikey() -> None:
    """Manage API keys (sent as `Authorization: Bearer <key>`)."""


@apikey.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. Ringotel.")
@click.option("--scope", "scopes", multiple=True, help=SCOPE_HELP + " Default: all but admin.")
@click.option("--json", "as_json", is_flag=True, help="Print the key as one JSON object.")
def apikey_create(name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Create an API key; the key is printed once and stored only as a hash."""
    row, key = run_with_services(
        _settings(),
        lambda services: services.credentials.create_api_key(name, _scopes_or_default(scopes)),
    )
    emit({"key_id": row.key_id, "api_key": key, "name": row.name, "scope": row.scopes}, as_json)


@apikey.command("revoke")
@click.argument("key_id")
def apikey_revoke(key_id: str) -> None:
    """End an API key at once; give its key id (or the whole key)."""
    row = run_with_services(
        _settings(), lambda services: services.credentials.revoke_api_key(key_id)
    )
    click.echo(f"revoked API key {row.key_id}")


@main.group()
def webhook() -> None:
    """Manage outbound webhook endpoints (signed with the Standard Webhooks scheme)."""


def _endpoint_record(row: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "url": row.url,
        "events": row.event_types.split(","),
        "enabled": row.enabled,
        "description": row.description,
    }


@webhook.command("create")
@click.option("--url", required=True, help="Where the webhooks are POSTed.")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    type=click.Choice([t.value for t in WebhookEventType]),
    help="An event type it wants; repeat for more.",
)
@click.option("--description", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the endpoint as one JSON object.")
def webhook_create(
    url: str, events: tuple[str, ...], description: str | None, as_json: bool
) -> None:
    """Register an endpoint; its signing secret is printed once."""
    row, secret = run_with_services(
        _settings(),
        lambda services: services.webhooks.create(
            EndpointInput(url=url, event_types=events, description=description)
        ),
    )
    emit({**_endpoint_record(row), "secret": secret}, as_json)


@webhook.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
def webhook_list(as_json: bool) -> None:
    """Every endpoint, without its secret."""
    rows = run_with_services(_settings(), lambda services: services.webhooks.endpoints())
    for row in rows:
        emit(_endpoint_record(row), as_json)


@webhook.command("delete")
@click.argument("endpoint_id")
def webhook_delete(endpoint_id: str) -> None:
    """Remove an endpoint and its undelivered webhooks."""
    run_with_services(_settings(), lambda services: services.webhooks.delete(endpoint_id))
    click.echo(f"deleted webhook endpoint {endpoint_id}")


def _scopes_or_default(scopes: tuple[str, ...]) -> tuple[str, ...] | None:
    return scopes or None


@main.command("ringotel-json")
@click.option(
    "--auth",
    type=click.Choice([mode.value for mode in AuthMode]),
    default=AuthMode.BEARER.value,
    show_default=True,
    help="How Ringotel authenticates its requests.",
)
@click.option("--output", default="-", show_default=True, type=click.Path(), help="`-` prints it.")
def ringotel_json(auth: str, output: str) -> None:
    """Write the integration JSON to hand to Ringotel (it holds no secret)."""
    document = integration_document(_settings(), AuthMode(auth))
    text = json.dumps(document, indent=2) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text)
        click.echo(f"wrote {output}")


@main.command("seed-demo")
@click.option(
    "--password",
    default=None,
    help="Password of the demo users (at least 8 characters); random and unprinted when left out.",
)
def seed_demo(password: str | None) -> None:
    """Fill the database with demo users, companies and contacts; running it again adds nothing."""
    from crm.demo import seed_demo as seed

    settings = _settings()
    click.echo(f"seeding {_redacted(settings.database_url)}")
    report = run_with_services(settings, lambda services: seed(services, password=password))
    for line in report.lines():
        click.echo(line)


def _redacted(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user_name = credentials.split(":", 1)[0]
    return f"{scheme}://{user_name}@{host}"


for command in transfer_cli.COMMANDS:  # `crm import` and `crm export`
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
