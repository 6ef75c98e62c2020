"""The `crm` command: the outermost layer, which may import everything.

Nothing imports this module. Each command reads the settings once; a bad
setting stops it with one line that names the variable.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from crm import transfer_cli
from crm.domain.config import DomainConfig
from crm.domain.credentials import redirect_uris_of
from crm.domain.errors import DomainError
from crm.domain.services import Services
from crm.domain.users import UserInput
from crm.domain.webhooks import (
    KEEP_OLD_SECRET_S,
    MAX_KEEP_OLD_SECRET_S,
    EndpointInput,
    WebhookEventType,
)
from crm.engine import bind_tables, close_engine, make_engine, open_engine
from crm.log_config import LogFormat, LogLevel, uvicorn_log_config
from crm.metrics import MULTIPROC_ENV
from crm.pg_events import bus_for
from crm.schema_state import DatabaseNotReady, check_reachable, check_ready, redacted
from crm.settings import Settings, SettingsError, load_settings
from crm.tables import User, WebhookEndpoint
from facade.ringotel.integration import AuthMode, integration_document

T = TypeVar("T")

WORKER_START_TIMEOUT_S = 60
"""How long a worker of `crm serve --workers N` may take to start before it is replaced."""


def _settings(check: Callable[[str], Coroutine[Any, Any, None]] | None = check_ready) -> Settings:
    """The settings with their keys checked (and the key file made), or one line saying why not.

    `check` asks the database first (by default: reachable and migrated), so a command
    run before `crm migrate` says to run it and leaves nothing behind, no key file either.
    """
    try:
        settings = load_settings()
        if check is not None:
            asyncio.run(check(settings.database_url))
        settings.jwt_signing_keys()
        settings.signing_key()
    except (SettingsError, DatabaseNotReady) as exc:
        raise click.ClickException(str(exc)) from None
    return settings


def run_with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """Open the database, run `work` with the services, close it; domain errors become one line."""

    async def main() -> T:
        engine = make_engine(settings.database_url)
        bind_tables(engine)
        await open_engine(engine, pool_min=1, pool_max=4)
        try:
            # On PostgreSQL its revocations are announced to the running servers' sockets.
            events = bus_for(settings.database_url)
            return await work(Services(DomainConfig.from_settings(settings), events))
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


def emit_table(records: list[dict[str, Any]], as_json: bool) -> None:
    """Print a list: one JSON array with --json, else a table with a header line."""
    if as_json:
        click.echo(json.dumps(records, default=str))
        return
    if not records:
        click.echo("(none)")
        return
    columns = list(records[0])
    cells = [[_cell(record[column]) for column in columns] for record in records]
    widths = [max(len(row[i]) for row in [columns, *cells]) for i in range(len(columns))]
    for row in [columns, *cells]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value) or "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


LIST_JSON_HELP = "Print one JSON array."


@click.group()
@click.version_option(package_name="ringotel-crm", prog_name="crm")
def main() -> None:
    """A CRM for the Ringotel cloud phone system."""


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    settings = _settings(check=check_reachable)
    click.echo(f"migrating {redacted(settings.database_url)}")
    result = asyncio.run(run_forwards(app_name="crm"))
    if not result.success:
        raise click.ClickException(f"migration failed: {result.message}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@click.option(
    "--log-format",
    type=click.Choice([f.value for f in LogFormat]),
    default=None,
    help="json (one object a line) or console; default CRM_LOG_FORMAT, else console.",
)
@click.option(
    "--log-level",
    type=click.Choice([level.value for level in LogLevel]),
    default=None,
    help="The least severe lines written; default CRM_LOG_LEVEL, else info.",
)
def serve(
    host: str,
    port: int,
    workers: int,
    reload: bool,
    log_format: str | None,
    log_level: str | None,
) -> None:
    """Serve GraphQL, the Ringotel REST facade and the docs."""
    import uvicorn

    settings = _settings()
    if "public_url" not in settings.model_fields_set:
        # Unset, the public URL is where this server listens (the workers read it too).
        os.environ["CRM_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        settings = _settings()
    local = f"http://{host}:{port}"
    click.echo(f"GraphQL playground: {local}/graphql")
    click.echo(f"REST API docs:      {local}/docs")
    click.echo(f"Public URL (CRM_PUBLIC_URL, given to Ringotel): {settings.public_url}")
    with metrics_folder(workers):
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
            # One format for every line, in every worker; the app logs each request itself
            # (with its id, route and credential), so uvicorn's access line would repeat it.
            log_config=uvicorn_log_config(
                LogFormat(log_format or settings.log_format),
                LogLevel(log_level or settings.log_level),
            ),
            log_level=str(log_level or settings.log_level),
            access_log=False,
            # A worker answers the supervisor's health check only once it has imported the
            # app (a few seconds on a busy machine); at uvicorn's 5 s it was killed and
            # restarted over and over.
            timeout_worker_healthcheck=WORKER_START_TIMEOUT_S,
            **_timeouts(settings),
        )


@contextmanager
def metrics_folder(workers: int) -> Iterator[None]:
    """With several workers, a private folder for their metrics (`crm.metrics`), removed
    when the server stops; one worker keeps its metrics in memory."""
    if workers == 1:
        yield
        return
    folder = tempfile.mkdtemp(prefix="crm-metrics-")  # 0700: only this user reads it
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


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


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help=LIST_JSON_HELP)
def user_list(as_json: bool) -> None:
    """Every CRM user, active or not (never a password hash)."""

    async def every_user(services: Services) -> list[User]:
        users: list[User] = []
        cursor = None
        while True:
            page = await services.users.list(limit=services.config.page_size_max, cursor=cursor)
            users.extend(page.items)
            if page.next_cursor is None:
                return users
            cursor = page.next_cursor

    rows = run_with_services(_settings(), every_user)
    emit_table(
        [
            {
                "id": str(row.id),
                "email": row.email,
                "name": " ".join(filter(None, (row.first_name, row.last_name))) or None,
                "extension": row.extension,
                "admin": row.is_admin,
                "active": row.is_active,
            }
            for row in rows
        ],
        as_json,
    )


SCOPE_HELP = "A scope to grant (repeat it): ringotel, crm:read, crm:write, admin, metrics."


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


@client.command("list")
@click.option("--json", "as_json", is_flag=True, help=LIST_JSON_HELP)
def client_list(as_json: bool) -> None:
    """Every OAuth2 client, revoked ones included (never a secret or its hash)."""
    rows = run_with_services(_settings(), lambda services: services.credentials.clients())
    emit_table(
        [
            {
                "client_id": row.client_id,
                "name": row.name,
                "scope": row.scopes,
                "redirect_uris": redirect_uris_of(row),
                "created_at": row.created_at,
                "revoked_at": row.revoked_at,
            }
            for row in rows
        ],
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


@apikey.command("list")
@click.option("--json", "as_json", is_flag=True, help=LIST_JSON_HELP)
def apikey_list(as_json: bool) -> None:
    """Every API key, revoked ones included (never a key or its hash)."""
    rows = run_with_services(_settings(), lambda services: services.credentials.api_keys())
    emit_table(
        [
            {
                "key_id": row.key_id,
                "name": row.name,
                "scope": row.scopes,
                "created_at": row.created_at,
                "revoked_at": row.revoked_at,
            }
            for row in rows
        ],
        as_json,
    )


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
@click.option("--json", "as_json", is_flag=True, help=LIST_JSON_HELP)
def webhook_list(as_json: bool) -> None:
    """Every endpoint, without its secret."""
    rows = run_with_services(_settings(), lambda services: services.webhooks.endpoints())
    emit_table([_endpoint_record(row) for row in rows], as_json)


@webhook.command("rotate")
@click.argument("endpoint_id")
@click.option(
    "--keep-old-for",
    "keep_old_for",
    default=KEEP_OLD_SECRET_S,
    show_default=True,
    type=click.FloatRange(0, MAX_KEEP_OLD_SECRET_S),
    help="Seconds the old secret still signs (beside the new one), for receivers to switch.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the endpoint as one JSON object.")
def webhook_rotate(endpoint_id: str, keep_old_for: float, as_json: bool) -> None:
    """Give an endpoint a new signing secret, printed once."""
    row, secret = run_with_services(
        _settings(), lambda services: services.webhooks.rotate_secret(endpoint_id, keep_old_for)
    )
    until = row.previous_secret_until
    emit(
        {
            **_endpoint_record(row),
            "secret": secret,
            "old_secret_signs_until": None if until is None else until.isoformat(),
        },
        as_json,
    )


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
    document = integration_document(_settings(check=None), AuthMode(auth))
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
    click.echo(f"seeding {redacted(settings.database_url)}")
    report = run_with_services(settings, lambda services: seed(services, password=password))
    for line in [*report.lines(), "", *next_steps(settings.public_url, password is not None)]:
        click.echo(line)


def next_steps(public_url: str, known_password: bool) -> list[str]:
    """What to do after seeding: sign in, and get a credential for GraphiQL and for Ringotel."""
    who = (
        "as alice.morgan@demo.example (or another demo user) with the password given to --password"
        if known_password
        else "as a user of your own (the demo users' password is random):"
        " `crm user create --email you@example.com --admin`"
    )
    return [
        f"Sign in: `crm serve`, then open {public_url}/ {who}.",
        f"GraphiQL ({public_url}/graphql): `crm apikey create --name graphiql --scope crm:read"
        " --scope crm:write`, and paste the key into its Headers pane as"
        ' {"Authorization": "Bearer <key>"}.',
        "Ringotel: `crm apikey create --name ringotel --scope ringotel` for its API key, and"
        " `crm ringotel-json` for the integration JSON to give it.",
    ]


for command in transfer_cli.COMMANDS:  # `crm import` and `crm export`
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
