"""The integration JSON: the document that tells a Ringotel server how to call this CRM.

Built from the route table for this CRM's public URL and one auth mode, in the
form Ringotel's framework reads (contract, section 2). It holds placeholders for
credentials, never a credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from crm.domain.principal import Scope
from crm.settings import Settings
from facade.openapi import OpenOperation, error_responses
from facade.ringotel.hooks import Hook
from facade.ringotel.table import HOOKS

LOGO = Path(__file__).resolve().parent / "logo.svg"
LOGO_PATH = "/ringotel/logo.svg"
DOCUMENT_PATH = "/ringotel/integration.json"

OAUTH_SCOPES = (Scope.RINGOTEL,)
"""What Ringotel asks for when an admin authorizes it with OAuth2: the facade, nothing more."""


class AuthMode(StrEnum):
    """How Ringotel authenticates its requests."""

    BEARER = "bearer"
    BASIC = "basic"
    OAUTH2 = "oauth2"


AUTH_MODE_PATTERN = (
    r"^\s*(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]|[Oo][Aa][Uu][Tt][Hh]2)?\s*$"
)
"""What `auth_mode` reads, as the OpenAPI document states it (JSON Schema has no flag for case)."""


def auth_mode(value: str | None) -> AuthMode:
    """The mode a client named (default bearer); an unknown one is a bad request (400)."""
    if value is None or not value.strip():
        return AuthMode.BEARER
    try:
        return AuthMode(value.strip().lower())
    except ValueError:
        modes = ", ".join(mode.value for mode in AuthMode)
        message = f"{value!r} is not one of {modes}"
        raise ValidationException(message, extra=[{"key": "auth", "message": message}]) from None


def integration_document(
    settings: Settings, mode: AuthMode = AuthMode.BEARER, hooks: Sequence[Hook] = HOOKS
) -> dict[str, Any]:
    """The integration JSON for `settings.public_url` and `mode`."""
    url = settings.public_url
    document: dict[str, Any] = {
        "id": settings.integration_id,
        "name": settings.integration_name,
        "logo": settings.integration_logo_url or url + LOGO_PATH,
        "class": "crm",
        "url": url,
        "properties": list(PROPERTIES[mode]),
    }
    document.update(auth_block(mode, url))
    document["API"] = {hook.name: hook_entry(hook) for hook in hooks if hook.published}
    return document


PROPERTIES: dict[AuthMode, tuple[str, ...]] = {
    AuthMode.BEARER: ("API key",),
    AuthMode.BASIC: ("Username", "Password"),
    AuthMode.OAUTH2: ("Client ID", "Client Secret"),
}
"""The fields an admin fills in Ringotel's integration form, per mode."""


def auth_block(mode: AuthMode, url: str) -> dict[str, Any]:
    """The authentication block exactly in the form Ringotel reads."""
    match mode:
        case AuthMode.BEARER:
            return {"auth": {"type": "Bearer", "token": "$API key$"}}
        case AuthMode.BASIC:
            return {"auth": {"type": "Basic", "username": "$Username$", "password": "$Password$"}}
        case AuthMode.OAUTH2:
            scope = quote(" ".join(str(s) for s in OAUTH_SCOPES), safe=":")
            return {
                "OAuth2": {
                    "client_id": "$Client ID$",
                    "client_secret": "$Client Secret$",
                    "flow_type": {"default": "0"},
                    "authorization_endpoint": f"{url}/oauth/authorize",
                    "authorization_parameters": {"default": f"scope={scope}"},
                    "token_endpoint": f"{url}/oauth/token",
                    "token_parameters": {
                        "content_type": "application/x-www-form-urlencoded;charset=utf-8"
                    },
                    "request_auth": "Bearer",
                }
            }


def hook_entry(hook: Hook) -> dict[str, Any]:
    """One hook of the `API` block."""
    entry: dict[str, Any] = {"request_method": hook.method, "request_path": hook.request_path()}
    body = hook.request_body()
    if body is not None:
        entry["request_body"] = body
    if hook.content_type != "application/json":
        entry["content_type"] = hook.content_type
    entry["response_map"] = hook.response_map()
    return entry


@get(
    DOCUMENT_PATH,
    tags=["integration"],
    operation_id="IntegrationJSON",
    summary="The integration JSON to hand to Ringotel, for this CRM's public URL.",
    description="The same document `crm ringotel-json` writes. It holds no secret.",
    operation_class=OpenOperation,
    responses=error_responses(400),
)
async def integration_json(
    request: Request[Any, Any, Any],
    state: State,
    auth: Annotated[
        str | None,
        Parameter(
            description="How Ringotel authenticates: bearer (default), basic or oauth2, any case.",
            schema_extra={"pattern": AUTH_MODE_PATTERN},
        ),
    ] = None,
) -> dict[str, Any]:
    if len(request.query_params.getall("auth", [])) > 1:
        message = "auth was sent more than once"
        raise ValidationException(message, extra=[{"key": "auth", "message": message}])
    return integration_document(state.settings, auth_mode(auth))


@get(
    LOGO_PATH,
    tags=["integration"],
    operation_id="IntegrationLogo",
    summary="The logo the integration JSON points at.",
    media_type="image/svg+xml",
    operation_class=OpenOperation,
    responses={
        200: ResponseSpec(
            str, description="An SVG image.", media_type="image/svg+xml", generate_examples=False
        )
    },
)
async def integration_logo() -> Response[bytes]:
    return Response(
        LOGO.read_bytes(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
