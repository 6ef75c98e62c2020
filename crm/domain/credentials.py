"""Credentials the CRM issues: OAuth2 clients, API keys, authorization codes, refresh tokens.

Every secret is a random 256-bit string shown once and stored only as its
HMAC-SHA256 under the server's credential key: a fast keyed hash is enough for
secrets that cannot be guessed (Argon2 is for passwords people choose), and a
stolen table without the key is useless. Comparisons are constant-time. All
state lives in the database, so any worker or server accepts what another issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from crm.domain.errors import NotFound, ValidationFailed
from crm.domain.events import EventBus, InProcessBus
from crm.domain.principal import ALL_SCOPES, Scope
from crm.domain.validation import clean_text, now, refuse_nul
from crm.queries import credentials as queries
from crm.queries.rows import save
from crm.queries.transactions import transaction
from crm.tables import ApiKey, AuthorizationCode, OAuthClient, RefreshToken, TokenRevocation

DEFAULT_SCOPES: frozenset[str] = frozenset({Scope.RINGOTEL, Scope.READ, Scope.WRITE})
"""What a new client or key may do unless told otherwise: everything but `admin`."""

CLIENT_ID_PREFIX = "crmc_"
API_KEY_PREFIX = "crmk_"
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class GrantRefused(Exception):
    """A code or refresh token that cannot be exchanged; the reason is safe to show."""


class ScopeRefused(GrantRefused):
    """A grant asked for more scopes than were granted (RFC 6749's `invalid_scope`)."""


def parse_scopes(value: str | Iterable[str] | None, *, field: str = "scope") -> frozenset[str]:
    """Scopes from `a b`, `a,b` or a list; an unknown scope is an error naming it."""
    if value is None:
        return frozenset()
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    scopes = frozenset(item.strip() for item in items if item.strip())
    unknown = sorted(scopes - ALL_SCOPES)
    if unknown:
        known = " ".join(sorted(ALL_SCOPES))
        raise ValidationFailed(f"unknown scope {unknown[0]!r} (known: {known})", field=field)
    return scopes


def format_scopes(scopes: Iterable[str]) -> str:
    """The space-separated form OAuth2 uses, in a stable order."""
    return " ".join(sorted(scopes))


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def clean_redirect_uri(value: str, *, field: str = "redirect_uri") -> str:
    """An absolute http(s) URI without a fragment, as RFC 6749 §3.1.2 asks."""
    text = clean_text(value, field=field, max_length=2000, required=True) or ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed(f"{text!r} is not an absolute http(s) URI", field=field)
    if parts.fragment or "#" in text:
        raise ValidationFailed("must not contain a fragment", field=field)
    return text


@dataclass(frozen=True, slots=True)
class Grant:
    """What an exchanged code or refresh token grants: who, which scopes, which family."""

    user_id: uuid.UUID | None
    scopes: frozenset[str]
    family: uuid.UUID


class CredentialService:
    """Issue, check and revoke every kind of credential."""

    def __init__(
        self,
        key: str,
        *,
        code_ttl_s: int = 120,
        refresh_ttl_s: int = 30 * 86_400,
        events: EventBus | None = None,
    ):
        self._events: EventBus = events or InProcessBus()
        # A key of its own, derived from the server key, so credential hashes are
        # never interchangeable with token signatures.
        self._key = hmac.new(key.encode(), b"crm credential hashes", hashlib.sha256).digest()
        self._code_ttl = timedelta(seconds=code_ttl_s)
        self._refresh_ttl = timedelta(seconds=refresh_ttl_s)

    def hash(self, secret: str) -> str:
        """The keyed hash a secret is stored as."""
        return hmac.new(self._key, secret.encode(), hashlib.sha256).hexdigest()

    def _matches(self, secret: str, stored: str) -> bool:
        return hmac.compare_digest(self.hash(secret), stored)

    # OAuth2 clients

    async def create_client(
        self, name: str, redirect_uris: Sequence[str], scopes: Iterable[str] | None = None
    ) -> tuple[OAuthClient, str]:
        """A new client and its secret; the secret is returned once and stored hashed."""
        clean_name = clean_text(name, field="name", max_length=200, required=True) or ""
        uris = [
            clean_redirect_uri(uri, field=f"redirect_uris.{index}")
            for index, uri in enumerate(redirect_uris)
        ]
        granted = _granted(scopes)
        secret = secrets.token_urlsafe(32)
        row = OAuthClient(
            client_id=CLIENT_ID_PREFIX + secrets.token_hex(12),
            name=clean_name,
            secret_hash=self.hash(secret),
            redirect_uris="\n".join(dict.fromkeys(uris)),
            scopes=format_scopes(granted),
        )
        await save(row)
        return row, secret

    async def client(self, client_id: str) -> OAuthClient | None:
        """The active client with this id, or `None`."""
        return await queries.active_client(client_id)

    async def clients(self) -> list[OAuthClient]:
        """Every client, revoked ones included (their `revoked_at` says so), oldest first."""
        return await queries.all_clients()

    async def authenticate_client(self, client_id: str, secret: str) -> OAuthClient | None:
        """The active client with this id and secret, or `None`; the same work either way."""
        row = await self.client(client_id) if client_id.startswith(CLIENT_ID_PREFIX) else None
        stored = row.secret_hash if row is not None else self.hash(secrets.token_hex(8))
        if not self._matches(secret, stored) or row is None:
            return None
        return row

    async def revoke_client(self, client_id: str) -> OAuthClient:
        """End a client at once: its secret, its refresh tokens and its access tokens, all
        together or (on a failure) none."""
        row = await queries.client_by_id(refuse_nul(client_id, field="id"))
        if row is None:
            raise NotFound(f"no client with id {client_id!r}", field="id")
        stamp = now()
        async with transaction():
            if row.revoked_at is None:
                row.revoked_at = stamp
                await save(row, [OAuthClient.revoked_at])
            await queries.revoke_client_tokens(row.id, stamp)
        await self._events.credentials_changed()
        return row

    # API keys

    async def create_api_key(
        self, name: str, scopes: Iterable[str] | None = None
    ) -> tuple[ApiKey, str]:
        """A new API key row and the key itself (`crmk_<key id>_<secret>`), shown once."""
        clean_name = clean_text(name, field="name", max_length=200, required=True) or ""
        granted = _granted(scopes)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        row = ApiKey(
            key_id=key_id,
            name=clean_name,
            secret_hash=self.hash(secret),
            scopes=format_scopes(granted),
        )
        await save(row)
        return row, f"{API_KEY_PREFIX}{key_id}_{secret}"

    async def api_keys(self) -> list[ApiKey]:
        """Every API key, revoked ones included (their `revoked_at` says so), oldest first."""
        return await queries.all_api_keys()

    async def authenticate_api_key(self, key: str) -> ApiKey | None:
        """The active API key this is, or `None`."""
        key_id, _, secret = key.removeprefix(API_KEY_PREFIX).partition("_")
        row = None
        if key.startswith(API_KEY_PREFIX) and key_id and secret:
            row = await queries.active_api_key(key_id)
        stored = row.secret_hash if row is not None else self.hash(secrets.token_hex(8))
        if not self._matches(secret, stored) or row is None:
            return None
        return row

    async def revoke_api_key(self, key_or_id: str) -> ApiKey:
        """End an API key at once; given its key id or the whole key."""
        key_id = key_or_id.strip().removeprefix(API_KEY_PREFIX).partition("_")[0]
        row = await queries.api_key_by_id(refuse_nul(key_id, field="id"))
        if row is None:
            raise NotFound(f"no API key with id {key_id!r}", field="id")
        if row.revoked_at is None:
            row.revoked_at = now()
            await save(row, [ApiKey.revoked_at])
            await self._events.credentials_changed()
        return row

    # Authorization codes

    async def issue_code(
        self,
        client: OAuthClient,
        user_id: uuid.UUID,
        redirect_uri: str,
        scopes: Iterable[str],
        code_challenge: str | None,
    ) -> str:
        """A short-lived one-time code for the authorization-code grant."""
        code = secrets.token_urlsafe(32)
        row = AuthorizationCode(
            code_hash=self.hash(code),
            client=client.id,
            user=user_id,
            redirect_uri=redirect_uri,
            scopes=format_scopes(scopes),
            code_challenge=code_challenge,
            expires_at=now() + self._code_ttl,
        )
        await save(row)
        return code

    async def exchange_code(
        self, client: OAuthClient, code: str, redirect_uri: str | None, verifier: str | None
    ) -> Grant:
        """Use a code once: it must be this client's, for this redirect URI and PKCE verifier.

        A second use of a code revokes what the first use issued (RFC 6749 §4.1.2).
        """
        row = await queries.code_by_hash(self.hash(code))
        if row is None or row.client != client.id:
            raise GrantRefused("the code is invalid")
        if not await queries.claim_code(row.id, now()):
            await self.revoke_family(row.id)
            raise GrantRefused("the code was already used")
        if _expired(row.expires_at):
            raise GrantRefused("the code has expired")
        if redirect_uri != row.redirect_uri:
            raise GrantRefused("redirect_uri does not match the authorization request")
        if row.code_challenge is not None:
            if not verifier or not _PKCE_VERIFIER.match(verifier):
                raise GrantRefused("a valid code_verifier is required")
            if not hmac.compare_digest(pkce_s256(verifier), row.code_challenge):
                raise GrantRefused("code_verifier does not match the code challenge")
        elif verifier:
            raise GrantRefused("code_verifier given but the authorization request had none")
        return Grant(user_id=row.user, scopes=parse_scopes(row.scopes), family=row.id)

    # Refresh tokens

    async def issue_refresh_token(self, client: OAuthClient, grant: Grant) -> str:
        """A new refresh token in the grant's family."""
        token = secrets.token_urlsafe(32)
        row = RefreshToken(
            token_hash=self.hash(token),
            family=grant.family,
            client=client.id,
            user=grant.user_id,
            scopes=format_scopes(grant.scopes),
            expires_at=now() + self._refresh_ttl,
        )
        await save(row)
        return token

    async def rotate_refresh_token(
        self, client: OAuthClient, token: str, scopes: frozenset[str] | None
    ) -> tuple[Grant, str]:
        """Use a refresh token once and get its successor; reuse revokes the whole family."""
        row = await queries.refresh_token_by_hash(self.hash(token))
        if row is None or row.client != client.id:
            raise GrantRefused("the refresh token is invalid")
        if row.revoked_at is not None:
            raise GrantRefused("the refresh token was revoked")
        granted = parse_scopes(row.scopes)
        if scopes:
            # Checked before the token is used up: a refused request leaves it valid.
            if not scopes <= granted:
                raise ScopeRefused("scope exceeds what was granted")
            granted = scopes
        if not await queries.claim_refresh_token(row.id, now()):
            await self.revoke_family(row.family)  # a replayed token: someone has a copy
            raise GrantRefused("the refresh token was already used")
        if _expired(row.expires_at):
            raise GrantRefused("the refresh token has expired")
        grant = Grant(user_id=row.user, scopes=granted, family=row.family)
        return grant, await self.issue_refresh_token(client, grant)

    async def revoke_refresh_token(self, client: OAuthClient, token: str) -> bool:
        """Revoke the family of one of this client's refresh tokens (RFC 7009)."""
        row = await queries.refresh_token_by_hash(self.hash(token))
        if row is None or row.client != client.id:
            return False
        await self.revoke_family(row.family)
        return True

    async def revoke_family(self, family: uuid.UUID) -> None:
        """Revoke every refresh token of a family and the access tokens it issued, all
        together or (on a failure) none."""
        stamp = now()
        async with transaction():
            await queries.revoke_family_tokens(family, stamp)
            await self._add_revocation(str(family), stamp + self._refresh_ttl)
        await self._events.credentials_changed()

    # Access-token revocations

    async def revoke_token_id(self, token_id: str, expires_at: datetime) -> None:
        """Refuse access tokens with this `jti` (or family), or the console session with
        this id, until `expires_at`."""
        await self._add_revocation(token_id, expires_at)
        await self._events.credentials_changed()

    async def _add_revocation(self, token_id: str, expires_at: datetime) -> None:
        # Another worker may revoke it at the same time: the first revocation stands.
        await queries.add_revocation(TokenRevocation(token_id=token_id, expires_at=expires_at))

    async def token_refusal(
        self, token_id: str, family: str | None, client_id: str, user_id: uuid.UUID | None
    ) -> str | None:
        """Why an access token that verified is refused now, or `None` when it stands.

        It is refused once its id or its family is revoked, its client is revoked, or
        the user it acts for is deactivated or gone: all read in one round trip, since
        every request made with a token asks.
        """
        revoked, client_active, user_active = await queries.token_standing(
            token_id, family or token_id, client_id, user_id
        )
        if revoked:
            return "the token was revoked"
        if not client_active:
            return "the token's client was revoked"
        if user_id is not None and not user_active:
            return "the token's user is no longer active"
        return None

    # Console sessions (their ids share the revocations of access tokens)

    async def session_scopes(self, session_id: str, user_id: uuid.UUID) -> frozenset[str] | None:
        """What a console session may do now: read and write, and admin for an admin, as the
        user is at this moment; `None` once it was ended or its user deactivated or gone."""
        ended, active, admin = await queries.session_standing(session_id, user_id)
        if ended or not active:
            return None
        scopes = {Scope.READ.value, Scope.WRITE.value}
        if admin:
            scopes.add(Scope.ADMIN.value)
        return frozenset(scopes)

    async def purge_expired(self) -> None:
        """Drop revocations, codes and refresh tokens that can no longer be used."""
        await queries.purge_expired(now())


def _granted(scopes: Iterable[str] | None) -> frozenset[str]:
    """The scopes a new client or key gets: those named (at least one), else the default."""
    if scopes is None:
        return DEFAULT_SCOPES
    granted = parse_scopes(scopes, field="scopes")
    if not granted:
        raise ValidationFailed("give at least one scope", field="scopes")
    return granted


def _expired(moment: datetime) -> bool:
    return moment <= now()


def redirect_uris_of(client: OAuthClient) -> list[str]:
    """The exact redirect URIs a client registered."""
    return [uri for uri in client.redirect_uris.splitlines() if uri]
