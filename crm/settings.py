"""The one typed settings object, read once at start-up from ``CRM_*`` variables.

The real environment beats a ``.env`` file in the working folder. Nothing here
opens a connection or builds an engine: the app factory does that from a
``Settings`` instance, so tests can build an app per configuration.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated

import phonenumbers
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm.domain.errors import ValidationFailed
from crm.domain.phones import normalize

MIN_KEY_LENGTH = 32
"""Shortest signing key accepted: HS256 keys should carry at least 256 bits."""


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
    """Key that signs access tokens; empty means a key kept in `secret_key_file`."""

    secret_key_file: Path = Path(".crm-secret-key")
    """Where a generated signing key is kept when `CRM_SECRET_KEY` is not set."""

    default_region: str = "US"
    """ISO 3166 region used to read phone numbers written without a country code."""

    recordings_dir: Path = Path("recordings")
    """Folder that holds uploaded call recordings."""

    recording_max_bytes: Annotated[int, Field(ge=1, le=2**31 - 1)] = 2_000_000_000
    """The largest recording upload accepted, in bytes; larger ones are answered 413.
    At most 2**31 - 1, so that a size always fits GraphQL's `Int`."""

    graphiql: bool = True
    """Serve the GraphiQL playground at `/graphql`."""

    page_size_default: Annotated[int, Field(ge=1, le=10_000)] = 50
    """Records in one page of a list when the client asks for no `limit`."""

    page_size_max: Annotated[int, Field(ge=1, le=10_000)] = 500
    """The largest `limit` a client may ask for; larger ones are capped."""

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

    auth_max_failures: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Failed logins or token requests allowed per address and per client in one window."""

    auth_failure_window_s: Annotated[int, Field(ge=1, le=86_400)] = 300
    """The length of the window failed attempts are counted in, in seconds."""

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
        if any(len(key) < MIN_KEY_LENGTH for key in keys.values()):
            raise ValueError(f"every key needs at least {MIN_KEY_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _known_key_id(self) -> Settings:
        keys = json.loads(self.jwt_keys) if self.jwt_keys else {}
        if self.jwt_key_id and keys and self.jwt_key_id not in keys:
            raise ValueError(f"CRM_JWT_KEY_ID {self.jwt_key_id!r} is not a key of CRM_JWT_KEYS")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    def signing_key(self) -> str:
        """The token signing key: the setting, else a key generated once and kept on disk."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key

    def jwt_signing_keys(self) -> tuple[str, dict[str, str]]:
        """The id of the key that signs, and every key that verifies, by key id."""
        keys: dict[str, str] = json.loads(self.jwt_keys) if self.jwt_keys else {}
        keys = keys or {"default": self.signing_key()}
        current = self.jwt_key_id or ("default" if "default" in keys else next(iter(keys)))
        return current, keys


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
