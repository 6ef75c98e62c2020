"""The OAuth2 authorization server (RFC 6749 with PKCE, RFC 7009 revocation).

`/oauth/authorize` signs a CRM user in and asks for consent; `/oauth/token`
exchanges codes and refresh tokens and serves the client-credentials grant;
`/oauth/revoke` ends tokens. Errors follow RFC 6749 §4.1.2.1 and §5.2; a bad
client or redirect URI is shown, never redirected to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from crm.domain.credentials import (
    GrantRefused,
    ScopeRefused,
    format_scopes,
    parse_scopes,
    redirect_uris_of,
)
from crm.domain.errors import NotFound, ValidationFailed
from crm.domain.principal import OPERATOR_SCOPES
from crm.domain.ratelimit import Verdict
from crm.domain.services import Services
from crm.domain.users import sign_in_subject
from crm.tables import OAuthClient
from facade.auth import csrf
from facade.auth.limits import client_address, limit_headers
from facade.auth.middleware import KIND_CLIENT, basic_credentials
from facade.auth.page import consent_page, error_page
from facade.auth.policy import Access
from facade.auth.tokens import TokenInvalid, TokenSigner
from facade.openapi import (
    AuthorizeDecisionOperation,
    AuthorizePageOperation,
    RevokeOperation,
    TokenOperation,
    no_content,
    oauth_error_responses,
    page_response,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
KIND_SIGN_IN = "login"
"""The rate-limit kind of a sign-in on the authorization page (subject: the e-mail)."""
KIND_GRANT = "grant"
"""The rate-limit kind of a code or refresh token sent by a client (subject: the client)."""
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


class TokenBody(msgspec.Struct):
    """A token answer (RFC 6749 §5.1), with the CRM's base URL as Salesforce gives it."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    instance_url: str
    refresh_token: str | None = None


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer; the description never holds a secret."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response[dict[str, Any]]:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="crm"'
        return Response(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=headers,
        )


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked `/oauth/authorize` request: the client, where to return, what is asked."""

    client: OAuthClient
    redirect_uri: str
    state: str
    scopes: frozenset[str]
    code_challenge: str | None
    fields: dict[str, str]


def redirect(uri: str, **params: str) -> Response[bytes]:
    """A 303 back to the client with `params` added to its redirect URI's query."""
    query = urlencode({key: value for key, value in params.items() if value})
    separator = "&" if "?" in uri else "?"
    location = f"{uri}{separator}{query}"
    return Response(b"", status_code=303, headers={"Location": location, **NO_STORE})


async def check_authorization_request(
    services: Services, params: Mapping[str, str]
) -> AuthorizationRequest | Response[Any]:
    """The request, or the answer to a bad one: a page for a bad client or URI, else a redirect."""
    if any(_holds_nul(name, value) for name, value in params.items()):
        return error_page("A parameter holds a NUL character.")
    client_id = params.get("client_id", "")
    client = await services.credentials.client(client_id) if client_id else None
    if client is None:
        return error_page("The client_id is missing or names no active client.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in redirect_uris_of(client):
        return error_page("The redirect_uri is missing or not registered for this client.")
    state = params.get("state", "")
    if params.get("response_type") != "code":
        return redirect(
            redirect_uri,
            error="unsupported_response_type",
            error_description="response_type must be code",
            state=state,
        )
    allowed = parse_scopes(client.scopes)
    try:
        scopes = parse_scopes(params.get("scope")) or allowed
    except ValidationFailed as exc:
        return redirect(
            redirect_uri, error="invalid_scope", error_description=exc.message, state=state
        )
    if not scopes <= allowed:
        return redirect(
            redirect_uri,
            error="invalid_scope",
            error_description="the client may not ask for " + format_scopes(scopes - allowed),
            state=state,
        )
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    pkce_sent = challenge is not None or method is not None
    if pkce_sent and (method != "S256" or challenge is None or not _CHALLENGE.match(challenge)):
        return redirect(
            redirect_uri,
            error="invalid_request",
            error_description="PKCE needs a code_challenge with code_challenge_method S256",
            state=state,
        )
    fields = {name: params.get(name, "") for name in _AUTHORIZE_FIELDS}
    return AuthorizationRequest(client, redirect_uri, state, scopes, challenge, fields)


def _holds_nul(name: str, value: Any) -> bool:
    """No client id, secret, code or token holds a NUL, and PostgreSQL cannot look one up."""
    return "\x00" in name or (isinstance(value, str) and "\x00" in value)


def single_values(form: Any) -> dict[str, str]:
    """A form's fields; a field sent twice is refused (RFC 6749 §3.1)."""
    values: dict[str, str] = {}
    for name in form:
        items = form.getall(name)
        if len(items) > 1:
            raise OAuthError("invalid_request", f"{name} was sent more than once")
        if _holds_nul(name, items[0]):
            raise OAuthError("invalid_request", "a parameter holds a NUL character")
        if isinstance(items[0], str):
            values[name] = items[0]
    return values


def client_credentials_of(
    request: Request[Any, Any, Any], params: dict[str, str]
) -> tuple[str, str]:
    """The client id and secret, from HTTP Basic or from the body (not both)."""
    header = request.headers.get("authorization")
    in_body = "client_secret" in params
    if header:
        if in_body:
            raise OAuthError("invalid_request", "authenticate the client one way only")
        pair = basic_credentials(header)
        if pair is None:
            raise OAuthError("invalid_client", "malformed client authentication", 401)
        return pair
    if in_body and params.get("client_id"):
        return params["client_id"], params["client_secret"]
    raise OAuthError("invalid_client", "client authentication is required", 401)


class OAuthController(Controller):
    """The OAuth2 endpoints; open to everyone, since each authenticates its own way."""

    path = "/oauth"
    tags = ["oauth"]  # noqa: RUF012 (Litestar's declaration)
    opt = {"auth": Access.OPEN}  # noqa: RUF012

    @get(
        "/authorize",
        summary="Sign in and consent (an HTML page).",
        operation_class=AuthorizePageOperation,
        responses={
            200: page_response("The sign-in and consent page."),
            303: no_content("Back to the client with an `error` (RFC 6749 §4.1.2.1)."),
            400: page_response("A bad client or redirect URI: said on a page, never redirected."),
        },
    )
    async def authorize_page(self, request: Request[Any, Any, Any], state: State) -> Response[Any]:
        params = {key: value for key, value in request.query_params.items()}
        checked = await check_authorization_request(state.services, params)
        if isinstance(checked, Response):
            return checked
        token = csrf.form_token(request)
        page = _page(checked, token)
        page.set_cookie(csrf.token_cookie(token, state.settings.public_url))
        return page

    @post(
        "/authorize",
        summary="The sign-in form's answer: allow or deny.",
        status_code=303,
        operation_class=AuthorizeDecisionOperation,
        responses={
            200: page_response("The form again, saying what was wrong (a wrong password)."),
            303: no_content("Back to the client with a `code`, or an `error`."),
            400: page_response("A bad client or redirect URI: said on a page, never redirected."),
            429: page_response("Too many failed sign-ins: the form again, saying when to retry."),
        },
    )
    async def authorize_decision(
        self, request: Request[Any, Any, Any], state: State
    ) -> Response[Any]:
        services: Services = state.services
        form = await request.form()
        params = {name: value for name, value in form.items() if isinstance(value, str)}
        if refused := csrf.refusal(request, params, state.settings.public_url):
            return error_page(refused + " Open the sign-in link again.")
        checked = await check_authorization_request(services, params)
        if isinstance(checked, Response):
            return checked
        decision = params.get("decision")
        if decision == "deny":
            return redirect(checked.redirect_uri, error="access_denied", state=checked.state)
        if decision != "allow":
            return _again(checked, params, "Choose Allow or Deny.")
        # Counted before the password is checked, in one step: of any number of
        # concurrent wrong sign-ins at most the limit reach Argon2.
        email = sign_in_subject(params.get("email", ""))
        address = client_address(request.scope)
        limits = services.rate_limits
        verdict = await limits.attempt(KIND_SIGN_IN, address, email)
        if not verdict.allowed:
            minutes = max(1, verdict.reset_s // 60)
            response = _again(
                checked, params, f"Too many failed sign-ins; try again in {minutes} min."
            )
            response.status_code = 429
            response.headers.update(limit_headers(verdict))
            return response
        user = await services.users.authenticate(
            params.get("email", ""), params.get("password", "")
        )
        if user is None:
            return _again(checked, params, "Wrong email or password.")
        await limits.succeeded(KIND_SIGN_IN, address, email)
        scopes = checked.scopes if user.is_admin else checked.scopes - OPERATOR_SCOPES
        if not scopes:
            return redirect(
                checked.redirect_uri,
                error="invalid_scope",
                error_description="this user may not grant the scopes asked for",
                state=checked.state,
            )
        code = await services.credentials.issue_code(
            checked.client, user.id, checked.redirect_uri, scopes, checked.code_challenge
        )
        return redirect(checked.redirect_uri, code=code, state=checked.state)

    @post(
        "/token",
        summary="Exchange a grant for an access token.",
        status_code=200,
        operation_class=TokenOperation,
        responses={
            200: ResponseSpec(TokenBody, description="The token.", generate_examples=False),
            **oauth_error_responses(400, 401, 429),
        },
    )
    async def token(self, request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        signer: TokenSigner = state.signer
        address = client_address(request.scope)
        try:
            found = await _client_of(request, services, address)
            if isinstance(found, Response):
                return found
            client, params = found
            verdict = await services.rate_limits.check(KIND_GRANT, address, client.client_id)
            if not verdict.allowed:
                return _too_many(verdict)
            try:
                return await _grant(services, signer, client, params)
            except OAuthError as exc:
                if exc.error == "invalid_grant":  # a guessed code or refresh token
                    await services.rate_limits.fail(KIND_GRANT, address, client.client_id)
                raise
        except OAuthError as exc:
            return exc.response()

    @post(
        "/revoke",
        summary="Revoke a refresh or access token (RFC 7009).",
        status_code=200,
        operation_class=RevokeOperation,
        responses={
            200: no_content("Revoked, or unknown (RFC 7009 §2.2 answers both alike)."),
            **oauth_error_responses(400, 401, 429),
        },
    )
    async def revoke(self, request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        signer: TokenSigner = state.signer
        try:
            found = await _client_of(request, services, client_address(request.scope))
            if isinstance(found, Response):
                return found
            client, params = found
            token = params.get("token")
            if not token:
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return exc.response()
        if not await services.credentials.revoke_refresh_token(client, token):
            await _revoke_access_token(services, signer, client, token)
        # RFC 7009 §2.2: an unknown or foreign token is answered like a revoked one.
        return Response(b"", status_code=200, headers=NO_STORE)


async def _client_of(
    request: Request[Any, Any, Any], services: Services, address: str
) -> tuple[OAuthClient, dict[str, str]] | Response[Any]:
    """The client a token or revoke request authenticates as, with the request's form.

    Bad client credentials are counted and raise `OAuthError`, or get 429 once its address
    (or its address on a client under attack) has failed too often. A right secret is
    never refused, as on the hooks (`Authenticator._limited`): it cannot be guessed."""
    params = single_values(await request.form())
    client_id, secret = client_credentials_of(request, params)
    client = await services.credentials.authenticate_client(client_id, secret)
    if client is None:
        verdict = await services.rate_limits.attempt(KIND_CLIENT, address, client_id)
        if not verdict.allowed:
            return _too_many(verdict)
        raise OAuthError("invalid_client", "unknown client or wrong secret", 401)
    return client, params


async def _revoke_access_token(
    services: Services, signer: TokenSigner, client: OAuthClient, token: str
) -> None:
    try:
        claims = signer.verify(token)
    except TokenInvalid:
        return  # expired or not ours: nothing to revoke
    if claims["client_id"] == client.client_id:
        until = datetime.fromtimestamp(int(claims["exp"]), UTC)
        await services.credentials.revoke_token_id(claims["jti"], until)


def _page(checked: AuthorizationRequest, token: str, error: str | None = None) -> Response[Any]:
    """The sign-in page for a checked request, its form carrying the cross-site token."""
    hidden = {**checked.fields, csrf.FIELD: token}
    return consent_page(
        checked.client.name,
        sorted(checked.scopes),
        hidden,
        error,
        redirect_uri=checked.redirect_uri,
    )


def _again(checked: AuthorizationRequest, params: Mapping[str, str], error: str) -> Response[Any]:
    """The page once more, after a post, with what went wrong."""
    return _page(checked, params[csrf.FIELD], error)


def _too_many(verdict: Verdict) -> Response[Any]:
    return Response(
        {"error": "invalid_request", "error_description": "too many failed requests; retry later"},
        status_code=429,
        headers={**NO_STORE, **limit_headers(verdict)},
    )


async def _grant(
    services: Services, signer: TokenSigner, client: OAuthClient, params: dict[str, str]
) -> Response[Any]:
    grant_type = params.get("grant_type")
    credentials = services.credentials
    try:
        match grant_type:
            case "authorization_code":
                code = params.get("code")
                if not code:
                    raise OAuthError("invalid_request", "code is required")
                grant = await credentials.exchange_code(
                    client, code, params.get("redirect_uri"), params.get("code_verifier")
                )
                refresh: str | None = await credentials.issue_refresh_token(client, grant)
            case "refresh_token":
                token = params.get("refresh_token")
                if not token:
                    raise OAuthError("invalid_request", "refresh_token is required")
                grant, refresh = await credentials.rotate_refresh_token(
                    client, token, _scopes(params) or None
                )
            case "client_credentials":
                allowed = parse_scopes(client.scopes)
                scopes = _scopes(params) or allowed
                if not scopes <= allowed:
                    raise OAuthError("invalid_scope", "the client may not ask for these scopes")
                issued = signer.issue(
                    subject=client.client_id, scopes=scopes, client_id=client.client_id
                )
                return _token_answer(signer, issued.token, scopes, None)
            case None | "":
                raise OAuthError("invalid_request", "grant_type is required")
            case _:
                raise OAuthError(
                    "unsupported_grant_type",
                    "use authorization_code, refresh_token or client_credentials",
                )
    except ScopeRefused as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    except GrantRefused as exc:
        raise OAuthError("invalid_grant", str(exc)) from None
    user_id = str(grant.user_id) if grant.user_id else None
    if user_id is not None:
        try:
            user = await services.users.get(user_id)
        except NotFound:
            user = None
        if user is None or not user.is_active:
            await credentials.revoke_family(grant.family)
            raise OAuthError("invalid_grant", "the user who granted access is no longer active")
    issued = signer.issue(
        subject=user_id or client.client_id,
        scopes=grant.scopes,
        client_id=client.client_id,
        family=str(grant.family),
        user_id=user_id,
    )
    return _token_answer(signer, issued.token, grant.scopes, refresh)


def _scopes(params: dict[str, str]) -> frozenset[str]:
    try:
        return parse_scopes(params.get("scope"))
    except ValidationFailed as exc:
        raise OAuthError("invalid_scope", exc.message) from None


def _token_answer(
    signer: TokenSigner,
    access_token: str,
    scopes: frozenset[str],
    refresh_token: str | None,
) -> Response[Any]:
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": signer.ttl_s,
        "scope": format_scopes(scopes),
        "instance_url": signer.issuer,
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return Response(body, status_code=200, headers=NO_STORE)
