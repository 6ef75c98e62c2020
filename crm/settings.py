"""The one typed settings object, read once at start-up from ``CRM_*`` variables.

The real environment beats a ``.env`` file in the working folder. Nothing here
opens a connection or builds an engine: the app factory does that from a
``Settings`` instance, so tests can build an app per configuration.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

import phonenumbers
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm.domain.errors import ValidationFailed
from crm.domain.phone_normalization import normalize
from crm.domain.storage import BucketLocation, InvalidKey, check_key
from crm.log_config import LogFormat, LogLevel

_ORIGIN = re.compile(r"^https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
"""An exact web origin: scheme, host and optional port; no path, no wildcard."""

MIN_KEY_LENGTH = 32
"""Fewest bytes a signing key must carry after stripping: HS256 needs at least 256 bits."""


def key_problem(key: str) -> str | None:
    """Why `key` (already stripped) cannot sign, or None when it is long enough."""
    size = len(key.encode())
    if size < MIN_KEY_LENGTH:
        return f"needs at least {MIN_KEY_LENGTH} bytes, has {size}"
    return None


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything the CRM can be configured with (see README, `.env.example`)."""

    model_config = SettingsConfigDict(
        env_prefix="CRM_",
        env_file=".env",
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite:///crm.sqlite"
    """`sqlite:///path/to/file.sqlite` (the embedded default) or `postgresql://user@host/db`."""

    public_url: str = "http://127.0.0.1:8000"
    """The base URL Ringotel and browsers reach this CRM at; written into the integration JSON."""

    secret_key: str = ""
    """Key that signs access tokens (at least 32 bytes); empty means a key kept in
    `secret_key_file`."""

    secret_key_file: Path = Path(".crm-secret-key")
    """Where a generated signing key is kept when `CRM_SECRET_KEY` is not set."""

    default_region: str = "US"
    """ISO 3166 region used to read phone numbers written without a country code."""

    recordings_url: str = "file:recordings"
    """Where uploaded call recordings are kept: a folder (`file:///path`, or `file:path`
    relative to the working folder) or a bucket (`s3://bucket/prefix`)."""

    s3_endpoint_url: str = ""
    """The S3-compatible store that holds the bucket (`https://host:port`); empty means AWS."""

    recording_max_bytes: Annotated[int, Field(ge=1, le=2**31 - 1)] = 2_000_000_000
    """The largest recording upload accepted, in bytes; larger ones are answered 413.
    At most 2**31 - 1, so that a size always fits GraphQL's `Int`."""

    import_max_bytes: Annotated[int, Field(ge=1)] = 500_000_000
    """The largest CSV file the console's import accepts, in bytes; larger ones are
    answered 413 (`crm import` reads files of any size)."""

    graphiql: bool = True
    """Serve the GraphiQL playground at `/graphql`."""

    page_size_default: Annotated[int, Field(ge=1, le=10_000)] = 50
    """Records in one page of a list when the client asks for no `limit`."""

    page_size_max: Annotated[int, Field(ge=1, le=10_000)] = 500
    """The largest `limit` a client may ask for; larger ones are capped."""

    graphql_max_tokens: Annotated[int, Field(ge=100, le=100_000)] = 2000
    """Most tokens (names, brackets, values) in one GraphQL document; counted before parsing."""

    graphql_max_depth: Annotated[int, Field(ge=3, le=50)] = 12
    """Deepest nesting of fields in one GraphQL operation, fragments expanded."""

    graphql_max_aliases: Annotated[int, Field(ge=0, le=1000)] = 30
    """Most aliased fields in one GraphQL operation, fragments expanded."""

    graphql_max_repeats: Annotated[int, Field(ge=1, le=100)] = 10
    """Most times one field (one response name) may be selected in one place, merged ones too."""

    graphql_max_cost: Annotated[int, Field(ge=100, le=1_000_000)] = 5000
    """Most fields one GraphQL operation may resolve, page sizes multiplied through nested lists."""

    graphql_anonymous_max_tokens: Annotated[int, Field(ge=10, le=100_000)] = 500
    """`CRM_GRAPHQL_MAX_TOKENS` for a request without credentials."""

    graphql_anonymous_max_cost: Annotated[int, Field(ge=10, le=1_000_000)] = 3000
    """`CRM_GRAPHQL_MAX_COST` for a request without credentials."""

    graphql_timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    """Longest one GraphQL request may run, in seconds; then it is cancelled (code TIMEOUT)."""

    graphql_public_introspection: bool = False
    """Answer GraphQL introspection (`__schema`, `__type`) to requests without credentials."""

    events_queue_size: Annotated[int, Field(ge=1, le=100_000)] = 256
    """Live events one subscriber may fall behind by; past it, its subscription ends with
    an error (code UNAVAILABLE) instead of slowing the publishers."""

    ws_max_connections: Annotated[int, Field(ge=1, le=100_000)] = 500
    """Open GraphQL WebSockets one worker serves at once; more are closed at once (1013)."""

    ws_max_subscriptions: Annotated[int, Field(ge=1, le=1000)] = 10
    """Operations one GraphQL WebSocket may run at once; more are refused (an error with
    code TOO_MANY_SUBSCRIPTIONS)."""

    ws_recheck_s: Annotated[float, Field(ge=0.1, le=3600)] = 30
    """Seconds a GraphQL WebSocket on PostgreSQL trusts its credential between database
    checks when no change was announced (a safety net for a missed announcement)."""

    ws_init_timeout_s: Annotated[float, Field(ge=0.5, le=600)] = 10
    """Seconds a GraphQL WebSocket has to send `connection_init`; then it is closed (4408)."""

    ws_max_message_bytes: Annotated[int, Field(ge=1024, le=16 * 2**20)] = 256 * 1024
    """The largest WebSocket message `crm serve` reads; a larger one closes the socket (1009)."""

    db_pool_min: Annotated[int, Field(ge=1, le=1000)] = 2
    """Smallest number of open PostgreSQL connections per process."""

    db_pool_max: Annotated[int, Field(ge=1, le=1000)] = 20
    """Largest number of open PostgreSQL connections per process."""

    integration_id: str = "ringotel-crm"
    """The `id` of the integration JSON: unique among the integrations a Ringotel server knows."""

    integration_name: str = "Ringotel CRM"
    """The `name` of the integration JSON, shown in Ringotel's admin portal."""

    integration_logo_url: str = ""
    """The `logo` of the integration JSON; empty means the logo this app serves."""

    lookup_suffix_digits: Annotated[int, Field(ge=7, le=15)] = 7
    """Trailing digits that must agree when lookup falls back to them (never fewer than 7)."""

    internal_extension_max_digits: Annotated[int, Field(ge=0, le=10)] = 6
    """Numbers with at most this many digits (and no country) are internal extensions: lookup
    never matches them, and creating a contact never merges on them."""

    own_numbers: str = ""
    """The organisation's own numbers, comma-separated: lookup never matches them to a contact."""

    jwt_keys: str = ""
    """Access-token signing keys by key id, as JSON (`{"2026a": "...", "2026b": "..."}`);
    empty means one key, `default`, which is `CRM_SECRET_KEY`."""

    jwt_key_id: str = ""
    """The key id that signs new access tokens; every key in `CRM_JWT_KEYS` still verifies."""

    access_token_ttl_s: Annotated[int, Field(ge=30, le=86_400)] = 3600
    """How long an access token (a JWT) is valid, in seconds."""

    refresh_token_ttl_s: Annotated[int, Field(ge=60, le=31_536_000)] = 30 * 86_400
    """How long a refresh token is valid, in seconds; each use rotates it."""

    auth_code_ttl_s: Annotated[int, Field(ge=10, le=600)] = 120
    """How long an authorization code may wait to be exchanged, in seconds."""

    session_ttl_s: Annotated[int, Field(ge=300, le=2_592_000)] = 43_200
    """How long a console sign-in lasts, in seconds (12 hours: an agent's shift)."""

    auth_max_failures: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Failed credentials allowed per address in one window; past it on one account or
    client, an address that already failed on it is refused, one that did not never is."""

    auth_failure_window_s: Annotated[int, Field(ge=1, le=86_400)] = 300
    """The length of the window failed attempts are counted in, in seconds."""

    password_hash_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    """Argon2 hashes computed at once per process (64 MiB each), off the event loop."""

    trusted_proxies: str = ""
    """Reverse proxies (addresses or networks, comma-separated, `*` for any) whose
    `X-Forwarded-For` names the client; empty trusts none."""

    http_idle_timeout_s: Annotated[int, Field(ge=1, le=3600)] = 5
    """Seconds a kept-alive connection may sit idle between requests before it is closed."""

    http_header_timeout_s: Annotated[float, Field(ge=0.5, le=300)] = 10
    """Seconds a client has to send a request's line and headers; then the connection is closed."""

    http_body_timeout_s: Annotated[float, Field(ge=0.5, le=3600)] = 30
    """Seconds the server waits for the next part of a request body before answering 408."""

    http_body_min_rate: Annotated[int, Field(ge=1, le=100_000_000)] = 1024
    """Bytes per second a request body must keep up: each byte earns 1/rate s of waiting,
    out of a budget of `CRM_HTTP_BODY_TIMEOUT_S`; a body that trickles in is answered 408."""

    cors_origins: str = ""
    """Origins whose pages may call the API from a browser (`https://host[:port]`,
    comma-separated, exact); empty means none may (CORS closed)."""

    webhook_allow_networks: str = ""
    """Private, loopback or link-local networks (comma-separated) that outbound webhooks
    may still be sent to; empty: only public addresses (no request forgery inward)."""

    webhook_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10
    """Longest one webhook attempt may take, connecting and answering included."""

    webhook_max_attempts: Annotated[int, Field(ge=1, le=1000)] = 20
    """Attempts per webhook before it is marked failed (an admin may retry it)."""

    webhook_retry_for_s: Annotated[float, Field(gt=0, le=30 * 86_400)] = 86_400
    """How long a webhook is retried before it is marked failed."""

    webhook_backoff_base_s: Annotated[float, Field(gt=0, le=3600)] = 5
    """The wait after the first failed attempt; it doubles after each (with jitter)."""

    webhook_backoff_max_s: Annotated[float, Field(gt=0, le=86_400)] = 3600
    """The longest wait between two attempts."""

    webhook_lease_s: Annotated[float, Field(ge=0, le=3600)] = 0
    """How long a webhook being sent stays one worker's: a worker that dies mid-attempt
    gives it up then, and another sends it (same `webhook-id`). Longer than
    `webhook_timeout_s`; 0: twice the timeout plus 30 s."""

    webhook_poll_s: Annotated[float, Field(gt=0, le=3600)] = 2
    """How often the delivery worker looks for due webhooks (a call event wakes it too)."""

    webhook_worker: bool = True
    """Deliver webhooks from this process; `false` leaves it to other servers."""

    log_format: LogFormat = LogFormat.CONSOLE
    """How `crm serve` writes its log: `json` (one JSON object a line) or `console`."""

    log_level: LogLevel = LogLevel.INFO
    """The least severe log lines `crm serve` writes: debug, info, warning, error, critical."""

    @field_validator("webhook_allow_networks")
    @classmethod
    def _webhook_networks(cls, value: str) -> str:
        networks = []
        for part in _split_numbers(value):
            try:
                networks.append(str(ipaddress.ip_network(part, strict=False)))
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None
        return ",".join(networks)

    @property
    def webhook_network_list(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """`webhook_allow_networks`, parsed."""
        return tuple(
            ipaddress.ip_network(part) for part in _split_numbers(self.webhook_allow_networks)
        )

    @field_validator("secret_key")
    @classmethod
    def _long_secret_key(cls, value: str) -> str:
        if not value:
            return ""  # the key file is used
        key = value.strip()
        problem = key_problem(key)
        if problem:
            raise ValueError(f"the key {problem} (or leave it empty to use a generated key file)")
        return key

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        parts = _split_numbers(value)
        if "*" in parts:
            return "*"
        networks = []
        for part in parts:
            try:
                network = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None
            networks.append(str(network.network_address) if "/" not in part else str(network))
        return ",".join(networks)

    @property
    def trusted_proxy_list(self) -> tuple[str, ...]:
        """`trusted_proxies` as a tuple, one address or network each."""
        return _split_numbers(self.trusted_proxies)

    @field_validator("recordings_url")
    @classmethod
    def _recordings_place(cls, value: str) -> str:
        _recordings_place(value, None)  # raises on a URL that names no folder or bucket
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/?#\s]+/?$", value):
            raise ValueError("must be an http:// or https:// URL of the store, without a path")
        return value.rstrip("/")

    @property
    def recordings_place(self) -> Path | BucketLocation:
        """`recordings_url` read: the folder, or the bucket with its endpoint."""
        return _recordings_place(self.recordings_url, self.s3_endpoint_url or None)

    @property
    def recordings_folder(self) -> Path | None:
        """The folder of the recordings, or `None` when they are kept in a bucket."""
        place = self.recordings_place
        return place if isinstance(place, Path) else None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows (e.g. US, GB, DE)")
        return region

    @field_validator("own_numbers")
    @classmethod
    def _phone_numbers(cls, value: str, info: ValidationInfo) -> str:
        region = info.data.get("default_region", "US")
        for number in _split_numbers(value):
            try:
                normalize(number, region, field="own_numbers")
            except ValidationFailed as exc:
                raise ValueError(f"{number!r}: {exc.message}") from None
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: str) -> str:
        for origin in _split_numbers(value):
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an exact origin: write scheme://host[:port], "
                    "no path and no wildcard"
                )
        return value

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """`cors_origins` as a tuple, one origin each."""
        return tuple(origin.lower() for origin in _split_numbers(self.cors_origins))

    @property
    def own_number_list(self) -> tuple[str, ...]:
        """`own_numbers` as a tuple, one number each."""
        return _split_numbers(self.own_numbers)

    @field_validator("jwt_keys")
    @classmethod
    def _key_map(cls, value: str) -> str:
        if not value.strip():
            return ""
        try:
            keys = json.loads(value)
        except ValueError:
            raise ValueError('must be a JSON object: {"key id": "key", ...}') from None
        if not isinstance(keys, dict) or not all(
            isinstance(kid, str) and isinstance(key, str) for kid, key in keys.items()
        ):
            raise ValueError('must be a JSON object: {"key id": "key", ...}')
        for kid, key in keys.items():
            problem = key_problem(key.strip())
            if problem:
                raise ValueError(f"key {kid!r} {problem}")
        return value

    @model_validator(mode="after")
    def _no_recordings_dir(self) -> Settings:
        if os.environ.get("CRM_RECORDINGS_DIR"):
            raise ValueError(
                "CRM_RECORDINGS_DIR was replaced by CRM_RECORDINGS_URL: "
                "write CRM_RECORDINGS_URL=file:///path/to/folder"
            )
        return self

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Settings:
        if self.webhook_lease_s and self.webhook_lease_s <= self.webhook_timeout_s:
            raise ValueError(
                f"CRM_WEBHOOK_LEASE_S ({self.webhook_lease_s:g}) must be longer than"
                f" CRM_WEBHOOK_TIMEOUT_S ({self.webhook_timeout_s:g}), or 0"
            )
        return self

    @model_validator(mode="after")
    def _known_key_id(self) -> Settings:
        keys = json.loads(self.jwt_keys) if self.jwt_keys else {}
        if self.jwt_key_id and keys and self.jwt_key_id not in keys:
            raise ValueError(f"CRM_JWT_KEY_ID {self.jwt_key_id!r} is not a key of CRM_JWT_KEYS")
        return self

    def signing_key(self) -> str:
        """The token signing key: the setting, else a key generated once and kept on disk.

        A key file that is unreadable, empty or too short raises `SettingsError`
        (one line naming the file) rather than becoming a key anyone can guess.
        """
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file
        try:
            return _read_key_file(path)
        except FileNotFoundError:
            pass
        _create_key_file(path)  # or lose the race to another worker: either way one key
        return _read_key_file(path)

    def jwt_signing_keys(self) -> tuple[str, dict[str, str]]:
        """The id of the key that signs, and every key that verifies, by key id."""
        keys: dict[str, str] = json.loads(self.jwt_keys) if self.jwt_keys else {}
        keys = {kid: key.strip() for kid, key in keys.items()}
        keys = keys or {"default": self.signing_key()}
        current = self.jwt_key_id or ("default" if "default" in keys else next(iter(keys)))
        return current, keys


def _read_key_file(path: Path) -> str:
    """The key kept in `path`; `FileNotFoundError` when there is none yet."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise SettingsError(f"CRM_SECRET_KEY_FILE {path}: cannot be read ({reason})") from None
    problem = key_problem(key)
    if problem:
        raise SettingsError(
            f"CRM_SECRET_KEY_FILE {path}: the key {problem} (delete the file to generate one)"
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new random key to `path` unless another process got there first.

    The key goes to a temporary file that is private (0600) from its creation,
    is flushed to disk, and is then hard-linked into place: a link never replaces
    an existing file, so of two workers starting at once one wins and the other
    reads the winner's key, never a half-written one.
    """
    key = secrets.token_urlsafe(48) + "\n"
    folder = path.parent
    temporary = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, key.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # another worker's key is in place
        finally:
            temporary.unlink(missing_ok=True)
        _sync_folder(folder)
    except OSError as exc:
        raise SettingsError(
            f"CRM_SECRET_KEY_FILE {path}: cannot be created ({exc.strerror or exc})"
        ) from None


def _sync_folder(folder: Path) -> None:
    """Make a new directory entry durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
"""An S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens."""


def _recordings_place(url: str, endpoint_url: str | None) -> Path | BucketLocation:
    """The folder or bucket `url` names; `ValueError` with the reason when it names neither."""
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ValueError("write file:///absolute/folder or file:relative/folder")
        return Path(unquote(parts.path))
    if parts.scheme == "s3":
        if not _BUCKET_NAME.match(parts.netloc):
            raise ValueError(f"{parts.netloc!r} is not an S3 bucket name")
        prefix = parts.path.strip("/")
        if prefix:
            try:
                check_key(prefix)
            except InvalidKey:
                raise ValueError(f"{prefix!r} is not a key prefix of plain names") from None
        return BucketLocation(parts.netloc, prefix, endpoint_url)
    raise ValueError("must be file:///path/to/folder or s3://bucket/prefix")


def _split_numbers(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation failure into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "CRM_" + str(first["loc"][0]).upper() if first["loc"] else "CRM settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
