"""The one error vocabulary of the CRM, shared by GraphQL and the REST facade.

Each error has a stable ``code``; the transports map codes to their own way of
answering (a GraphQL error's ``extensions``, an HTTP status). ``extensions`` is
read by graphql-core when it turns an exception into a GraphQL error, so this
module needs no GraphQL import.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """What went wrong, in words both transports understand."""

    NOT_FOUND = "NOT_FOUND"
    VALIDATION = "VALIDATION"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    TOO_LARGE = "TOO_LARGE"
    UNAVAILABLE = "UNAVAILABLE"


class DomainError(Exception):
    """Base of every error a client may be told about."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        """What a GraphQL error carries: the code, and the field when there is one."""
        ext: dict[str, Any] = {"code": self.code.value}
        if self.field is not None:
            ext["field"] = self.field
        ext.update(self.details)
        return ext

    def to_dict(self) -> dict[str, Any]:
        """The JSON body a REST client gets."""
        return {"error": self.code.value, "message": self.message, **self.extensions}


class NotFound(DomainError):
    """No record with that id (or the id is malformed)."""

    code = ErrorCode.NOT_FOUND


class ValidationFailed(DomainError):
    """Input that cannot be accepted; ``field`` names it and the message says why."""

    code = ErrorCode.VALIDATION


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, an illegal transition)."""

    code = ErrorCode.CONFLICT


class Forbidden(DomainError):
    """The caller's credentials do not allow this."""

    code = ErrorCode.FORBIDDEN


class TooLarge(DomainError):
    """An upload over the configured limit."""

    code = ErrorCode.TOO_LARGE


class Unavailable(DomainError):
    """The database or the storage does not answer right now."""

    code = ErrorCode.UNAVAILABLE
