"""What the OpenAPI document says beyond the handlers' types: errors and open routes.

Litestar writes the document from the handlers; this module holds the declarations
it cannot infer: our error body for every status a route may answer (not Litestar's
default 400 schema) and `security: []` on the routes that need no credentials. (The
schema of a lenient value travels with its type, in `facade.lenient`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar.enums import ParamType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)


class ErrorBody(msgspec.Struct):
    """Every error answer of the REST facade: a code, a reason and, for bad input, the field."""

    error: str
    message: str
    field: str | None = None
    code: str | None = None


class OAuthErrorBody(msgspec.Struct):
    """An OAuth2 error answer (RFC 6749 §5.2)."""

    error: str
    error_description: str | None = None


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "A malformed request: a body that is not JSON or not an object, a value of a type "
    "no reader understands, a parameter that cannot be read.",
    403: "Missing or bad credentials, or a credential without the scope this route needs.",
    404: "No record with that id.",
    409: "Not allowed in the record's current state.",
    413: "The body is larger than allowed.",
    416: "The byte range lies outside the file.",
    422: "Bad input: `field` names it and `message` says why.",
    429: "Too many requests or failed attempts; retry after `Retry-After` seconds.",
    503: "The database or the storage does not answer; retry after `Retry-After` seconds.",
}

HOOK_ERRORS = (400, 403, 404, 409, 413, 422, 429, 503)
"""What a hook may answer besides its success, each with the error body."""


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The error body under each status, described."""
    return {
        status: ResponseSpec(
            ErrorBody, description=ERROR_DESCRIPTIONS[status], generate_examples=False
        )
        for status in statuses
    }


def oauth_error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """RFC 6749's error body under each status."""
    descriptions = {
        400: "The request is missing a parameter, repeats one, or names a bad grant or scope.",
        401: "The client's credentials are missing or wrong (`WWW-Authenticate: Basic`).",
        429: "Too many failed attempts from this address or for this client; `Retry-After`.",
    }
    return {
        status: ResponseSpec(
            OAuthErrorBody, description=descriptions[status], generate_examples=False
        )
        for status in statuses
    }


def page_response(description: str) -> ResponseSpec:
    """An HTML page (the sign-in and consent page, or the page that says why it cannot be)."""
    return ResponseSpec(
        str, description=description, media_type="text/html", generate_examples=False
    )


def no_content(description: str) -> ResponseSpec:
    return ResponseSpec(None, description=description, generate_examples=False)


@dataclass
class OpenOperation(Operation):
    """An operation anyone may call: `security: []` overrides the document's default.

    Litestar drops an empty `security=` on a handler (it reads as "inherit"), so the
    open routes declare themselves with this operation class instead.
    """

    def __post_init__(self) -> None:
        self.security = []


_NO_NUL = "^[^\\u0000]*$"
_STRING = Schema(type=OpenAPIType.STRING, pattern=_NO_NUL)
"""An OAuth parameter: no id, secret, code or token holds a NUL (it is refused with 400)."""


def _form(properties: dict[str, Schema], required: list[str]) -> RequestBody:
    schema = Schema(
        type=OpenAPIType.OBJECT,
        properties=dict(properties),
        required=required,
        additional_properties=_STRING,  # RFC 6749 §3.1: other parameters are ignored; none twice
        property_names=Schema(type=OpenAPIType.STRING, pattern=_NO_NUL),
    )
    return RequestBody(
        content={"application/x-www-form-urlencoded": OpenAPIMediaType(schema=schema)},
        required=True,
    )


@dataclass
class TokenOperation(OpenOperation):
    """`POST /oauth/token`: the form of RFC 6749 §4.1.3, §4.4.2 and §6."""

    def __post_init__(self) -> None:
        super().__post_init__()
        grants = ["authorization_code", "refresh_token", "client_credentials"]
        self.request_body = _form(
            {
                "grant_type": Schema(type=OpenAPIType.STRING, enum=grants),
                "code": _STRING,
                "redirect_uri": _STRING,
                "code_verifier": _STRING,
                "refresh_token": _STRING,
                "scope": _STRING,
                "client_id": _STRING,
                "client_secret": _STRING,
            },
            ["grant_type"],
        )


@dataclass
class RevokeOperation(OpenOperation):
    """`POST /oauth/revoke`: the form of RFC 7009 §2.1."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = _form(
            {
                "token": _STRING,
                "token_type_hint": _STRING,
                "client_id": _STRING,
                "client_secret": _STRING,
            },
            ["token"],
        )


_AUTHORIZE_FIELDS = {
    "response_type": Schema(type=OpenAPIType.STRING, enum=["code"]),
    "client_id": _STRING,
    "redirect_uri": _STRING,
    "scope": _STRING,
    "state": _STRING,
    "code_challenge": _STRING,
    "code_challenge_method": Schema(type=OpenAPIType.STRING, enum=["S256"]),
}


@dataclass
class AuthorizePageOperation(OpenOperation):
    """`GET /oauth/authorize`: the query of RFC 6749 §4.1.1 with PKCE (RFC 7636)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.parameters = [
            Parameter(
                name=name,
                param_in=ParamType.QUERY,
                schema=schema,
                required=name in ("response_type", "client_id", "redirect_uri"),
            )
            for name, schema in _AUTHORIZE_FIELDS.items()
        ]


@dataclass
class AuthorizeDecisionOperation(OpenOperation):
    """`POST /oauth/authorize`: the sign-in form, with the request's fields carried along."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = _form(
            {
                **_AUTHORIZE_FIELDS,
                "email": _STRING,
                "password": _STRING,
                "decision": Schema(type=OpenAPIType.STRING, enum=["allow", "deny"]),
            },
            ["response_type", "client_id", "redirect_uri", "decision"],
        )


_BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class UploadOperation(Operation):
    """`POST .../recording`: a multipart part named `file`, or the raw audio as the body."""

    def __post_init__(self) -> None:
        multipart = Schema(
            type=OpenAPIType.OBJECT,
            properties={"file": _BINARY},
            required=["file"],
        )
        self.request_body = RequestBody(
            content={
                "multipart/form-data": OpenAPIMediaType(schema=multipart),
                "audio/*": OpenAPIMediaType(schema=_BINARY),
                "application/octet-stream": OpenAPIMediaType(schema=_BINARY),
            },
            required=True,
            description="WAV, MP3, Ogg (Opus or Vorbis), WebM, MP4 or FLAC; the content decides.",
        )
