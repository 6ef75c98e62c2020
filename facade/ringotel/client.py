"""How a hook runs its GraphQL operations: as the caller, answered in Ringotel's names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from litestar import Request

from crm.domain.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    Forbidden,
    NotFound,
    TooLarge,
    Unavailable,
    ValidationFailed,
)
from crm.domain.services import Services
from crm.graphql.context import Context, new_context
from crm.graphql.limits import Budgets
from facade.graphql import request_principal
from facade.operations import Operation, OperationFailed, Operations
from facade.ringotel.field_names import ringotel_name

_ERROR_CLASSES: dict[ErrorCode, type[DomainError]] = {
    cls.code: cls
    for cls in (NotFound, ValidationFailed, Conflict, Forbidden, TooLarge, Unavailable)
}


class UnexpectedAnswer(Exception):
    """An operation failed in a way no client caused (the schema has logged why)."""


class HookClient:
    """The facade's prepared operations, run for one request's caller."""

    def __init__(self, operations: Operations, context: Context, record_id: str | None) -> None:
        self._operations = operations
        self._context = context
        self._record_id = record_id

    async def run(self, operation: Operation, variables: dict[str, Any]) -> dict[str, Any]:
        """`operation`'s data, or its first error as the domain error it stands for."""
        try:
            return await self._operations.run(operation, variables, self._context)
        except OperationFailed as failed:
            raise hook_error(failed.error, variables, self._record_id) from None


@dataclass(frozen=True, slots=True)
class HookCore:
    """What every hook's client is made of, built once with the app."""

    services: Services
    operations: Operations
    budgets: Budgets


async def hook_client(request: Request[Any, Any, Any], hook_core: HookCore) -> HookClient:
    """The dependency every hook takes: its caller's context, marked as the facade's.

    It takes one dependency, not services, operations and budgets apiece: Litestar
    resolves sibling dependencies in a task group, about 0.2 ms per request.
    """
    context = new_context(
        hook_core.services,
        request_principal(request),
        hook_core.budgets.for_prepared(),
        prepared=True,
    )
    path_params = list(request.path_params)
    record_id = path_params[0] if len(path_params) == 1 else None
    return HookClient(hook_core.operations, context, record_id)


def hook_error(
    error: GraphQLError, variables: dict[str, Any], record_id: str | None = None
) -> Exception:
    """The exception a GraphQL error stands for, its field in the name the client sent.

    A code of the domain's vocabulary is that domain error; an error without a code and
    without a path is GraphQL refusing a variable, the client's input; anything else
    (a masked failure, a limit reached) is unexpected.
    """
    extensions = error.extensions or {}
    code = extensions.get("code")
    field = field_named_by(error)
    if field is not None:
        field = ringotel_name(field, variables, record_id)
    if isinstance(code, str) and code in ErrorCode.__members__:
        details = {k: v for k, v in extensions.items() if k not in ("code", "field")}
        return _ERROR_CLASSES[ErrorCode(code)](error.message, field=field, **details)
    if code is None and error.path is None:
        return ValidationFailed(error.message, field=field)
    return UnexpectedAnswer(f"{code or 'an error'} at {error.path}: {error.message}")


def field_named_by(error: GraphQLError) -> str | None:
    """The GraphQL field an error names: the input field a coercion message points at
    (`... at 'input.duration'; ...`), else its `extensions.field`."""
    marker = " at '"
    if error.message.startswith("Variable '$") and marker in error.message:
        path = error.message.split(marker, 1)[1].split("'", 1)[0]
        if path.rsplit(".", 1)[-1]:
            return path.rsplit(".", 1)[-1]
    field = (error.extensions or {}).get("field")
    return field if isinstance(field, str) else None
