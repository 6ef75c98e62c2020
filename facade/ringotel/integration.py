"""The integration JSON: the document that tells a Ringotel server how to call this CRM.

Built for this CRM's public URL and one auth mode, in the form Ringotel's framework
reads (contract, section 2), from the routes the way the OpenAPI document is: each
route whose `opt` marks it a hook (`facade.ringotel.hooks.hook`) is one entry, its
path, body and response_map read from the handler's declared parameters and types.
It holds placeholders for credentials, never a credential.
"""

from __future__ import annotations

import re
import types
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter, QueryParameter
from litestar.typing import FieldDefinition

from crm.domain.principal import Scope
from crm.settings import Settings
from facade.openapi import OpenOperation, error_responses
from facade.ringotel.hooks import HOOK, Fills, HookOpt
from facade.ringotel.table import ROUTES

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
    settings: Settings,
    mode: AuthMode = AuthMode.BEARER,
    routes: Sequence[HTTPRouteHandler] = ROUTES,
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
    document["API"] = hook_entries(routes)
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


def hook_entries(routes: Sequence[HTTPRouteHandler] = ROUTES) -> dict[str, dict[str, Any]]:
    """The `API` block: one entry per route published as a hook, in the routes' order.

    The app builds it once at start-up, so a hook whose declarations do not fit together
    (a path parameter its handler does not read, an answer that is no Struct) stops it.
    """
    return {route.opt[HOOK].name: hook_entry(route) for route in routes if HOOK in route.opt}


def hook_entry(route: HTTPRouteHandler) -> dict[str, Any]:
    """One hook of the `API` block, read from its route handler."""
    opt: HookOpt = route.opt[HOOK]
    [method] = route.http_methods
    entry: dict[str, Any] = {"request_method": method, "request_path": request_path(route)}
    body = opt.body or body_type(route)
    if body is not None:
        entry["request_body"] = {
            field.name: f"${_fills(field.type) or field.name}$"
            for field in msgspec.structs.fields(body)
        }
    if opt.content_type != "application/json":
        entry["content_type"] = opt.content_type
    entry["response_map"] = response_map(answer_type(route))
    return entry


_PATH_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def request_path(route: HTTPRouteHandler) -> str:
    """The route's path with Ringotel's placeholders; required query values are part of it."""
    parameters = route.parsed_fn_signature.parameters
    [path] = route.paths

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in parameters:
            raise ValueError(
                f"{route.handler_name}: the path names {name}, the handler reads no {name}"
            )
        return f"${_fills(parameters[name]) or name}$"

    filled = _PATH_PARAMETER.sub(placeholder, path)
    query = [
        field.kwarg_definition.name
        for field in parameters.values()
        if isinstance(field.kwarg_definition, QueryParameter)
        and field.kwarg_definition.name
        and field.kwarg_definition.required
    ]
    if query:
        filled += "?" + "&".join(f"{name}=${name}$" for name in query)
    return filled


def body_type(route: HTTPRouteHandler) -> type[msgspec.Struct] | None:
    """The Struct a route reads its JSON body into, if it reads one."""
    data = route.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    return _struct(data.annotation)


def answer_type(route: HTTPRouteHandler) -> type[msgspec.Struct]:
    """The Struct a route answers (inside a `Response` when it sets its own status)."""
    answer = route.parsed_fn_signature.return_type
    if answer.origin is Response:
        answer = answer.inner_types[0]
    found = _struct(answer.annotation)
    if found is None:
        raise TypeError(f"{route.handler_name} answers no Struct: {answer.annotation!r}")
    return found


def response_map(answer: type[msgspec.Struct]) -> dict[str, Any]:
    """The template Ringotel reads values out of: each field that `Fills` a variable, nested
    Structs as objects, a list of Structs as one record template in an array."""
    template: dict[str, Any] = {}
    for field in msgspec.structs.fields(answer):
        fills = _fills(field.type)
        inner = _struct(field.type)
        if fills is not None:
            template[field.name] = f"${fills}$"
        elif get_origin(_plain(field.type)) is list and inner is not None:
            template[field.name] = [response_map(inner)]
        elif inner is not None and (nested := response_map(inner)):
            template[field.name] = nested
    return template


def _plain(annotation: Any) -> Any:
    """`annotation` without `Annotated` and without `None` in a union."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else annotation
    return annotation


def _struct(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct `annotation` stands for, alone, optional or as the items of a list."""
    plain = _plain(annotation)
    if get_origin(plain) is list:
        plain = _plain(get_args(plain)[0])
    if isinstance(plain, type) and issubclass(plain, msgspec.Struct):
        return plain
    return None


def _fills(declared: Any) -> str | None:
    """The variable a parameter or field `Fills`, if it declares one."""
    metadata = declared.metadata if isinstance(declared, FieldDefinition) else ()
    if get_origin(declared) is Annotated:
        metadata = declared.__metadata__
    return next((m.variable for m in metadata if isinstance(m, Fills)), None)


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
