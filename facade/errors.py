"""One table from domain error codes to HTTP, and the handlers that apply it."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.exceptions import ValidationException as LitestarValidation
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from crm.domain.errors import DomainError, ErrorCode
from crm.engine import is_database_unavailable
from crm.exception_text import describe

log = logging.getLogger("crm.facade")


def status_for(code: ErrorCode) -> int:
    """The HTTP status of a domain error code."""
    match code:
        case ErrorCode.NOT_FOUND:
            return HTTP_404_NOT_FOUND
        case ErrorCode.VALIDATION:
            return HTTP_422_UNPROCESSABLE_ENTITY
        case ErrorCode.CONFLICT:
            return HTTP_409_CONFLICT
        case ErrorCode.FORBIDDEN:
            return HTTP_403_FORBIDDEN
        case ErrorCode.TOO_LARGE:
            return HTTP_413_REQUEST_ENTITY_TOO_LARGE
        case ErrorCode.UNAVAILABLE:
            return HTTP_503_SERVICE_UNAVAILABLE


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    """The error's body under its status; a 503 says when to retry, as the catch-all's does."""
    headers = {"Retry-After": "5"} if exc.code is ErrorCode.UNAVAILABLE else None
    return Response(exc.to_dict(), status_code=status_for(exc.code), headers=headers)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own errors (bad JSON, unknown route, ...) in our JSON shape."""
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException):
        status = HTTP_403_FORBIDDEN  # the framework's rule: bad credentials are 403
    body: dict[str, Any] = {"error": _code_name(status), "message": exc.detail}
    if isinstance(exc, LitestarValidation) and isinstance(exc.extra, list) and exc.extra:
        first = exc.extra[0]
        if isinstance(first, dict):
            body["field"] = first.get("key")
            body["message"] = first.get("message", exc.detail)
        status = HTTP_400_BAD_REQUEST
    return Response(body, status_code=status, headers=exc.headers)


def unexpected_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    """503 while the database is away; otherwise a 500 that tells the client nothing internal."""
    if is_database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return Response(
            {"error": ErrorCode.UNAVAILABLE.value, "message": "the database is unavailable"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    log.error("unexpected error on %s %s: %s", request.method, request.url.path, describe(exc))
    return Response(
        {"error": "INTERNAL", "message": "internal error"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _code_name(status: int) -> str:
    match status:
        case 400:
            return "BAD_REQUEST"
        case 403:
            return ErrorCode.FORBIDDEN.value
        case 404:
            return ErrorCode.NOT_FOUND.value
        case 405:
            return "METHOD_NOT_ALLOWED"
        case 408:
            return "REQUEST_TIMEOUT"
        case 413:
            return ErrorCode.TOO_LARGE.value
        case 415:
            return "UNSUPPORTED_MEDIA_TYPE"
        case 422:
            return ErrorCode.VALIDATION.value
        case 429:
            return "TOO_MANY_REQUESTS"
        case 503:
            return ErrorCode.UNAVAILABLE.value
        case _:
            return "HTTP_ERROR"


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
