"""The GraphQL operations the Ringotel routes run in-process.

Each `*.graphql` file in this folder holds one named operation, named like the
file. They are parsed and validated against the schema once, when the app is
built, and each request executes the prepared document with graphql-core: no
parsing or validation per request, no query text built from input, no HTTP
round trip to `/graphql`. The context is built as `/graphql` builds it, with the
same principal, so the same permission classes guard both transports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from inspect import isawaitable
from pathlib import Path
from typing import Any, TypeGuard

import strawberry
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, execute, parse, validate
from graphql.pyutils import is_awaitable as default_is_awaitable

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
from crm.graphql.context import Context
from crm.graphql.field_names import named_for_graphql

FOLDER = Path(__file__).resolve().parent

_ERROR_CLASSES: dict[ErrorCode, type[DomainError]] = {
    cls.code: cls
    for cls in (NotFound, ValidationFailed, Conflict, Forbidden, TooLarge, Unavailable)
}


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), list, dict, datetime})


def is_awaitable(value: object) -> TypeGuard[Awaitable[Any]]:
    """graphql-core's check, skipped for the plain values most fields return.

    graphql-core asks it of every value of every field; its check ends by looking
    for `__await__` on the value, a failed attribute lookup for a string or a number.
    """
    return type(value) not in _PLAIN_TYPES and default_is_awaitable(value)


class OperationDocumentError(Exception):
    """An operation document that does not fit the schema: the app must not start with it."""


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """One parsed and validated operation."""

    name: str
    document: DocumentNode
    source: str


def read_documents(folder: Path = FOLDER) -> dict[str, str]:
    """The operation documents in `folder`, by file stem."""
    return {path.stem: path.read_text() for path in sorted(folder.glob("*.graphql"))}


def prepare(name: str, source: str, schema: strawberry.Schema) -> PreparedOperation:
    """Parse and validate one document; it must hold exactly one operation called `name`."""
    try:
        document = parse(source)
    except GraphQLError as exc:
        raise OperationDocumentError(f"{name}.graphql: {exc.message}") from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    names = [op.name.value if op.name else None for op in operations]
    if names != [name]:
        raise OperationDocumentError(f"{name}.graphql must hold one operation named {name}")
    errors = validate(schema._schema, document)
    if errors:
        problems = "; ".join(error.message for error in errors)
        raise OperationDocumentError(f"{name}.graphql: {problems}")
    return PreparedOperation(name=name, document=document, source=source)


class Operations:
    """Every prepared operation of the facade, and how to run one."""

    def __init__(self, schema: strawberry.Schema, documents: Mapping[str, str] | None = None):
        self._schema = schema
        sources = read_documents() if documents is None else documents
        self._prepared = {name: prepare(name, text, schema) for name, text in sources.items()}

    def __contains__(self, name: str) -> bool:
        return name in self._prepared

    def names(self) -> list[str]:
        return sorted(self._prepared)

    async def run(self, name: str, variables: dict[str, Any], context: Context) -> dict[str, Any]:
        """Execute `name`; its data, or the first error raised as the domain error it stands for."""
        operation = self._prepared[name]
        result = execute(
            self._schema._schema,
            operation.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation.name,
            executor_class=self._schema.execution_context_class,
            is_awaitable=is_awaitable,
        )
        if isawaitable(result):
            result = await result
        if result.errors:
            raise as_domain_error(result.errors[0])
        assert result.data is not None  # no errors means there is data
        return result.data


def as_domain_error(error: GraphQLError) -> Exception:
    """The exception a GraphQL error stands for, so the one error table can answer it.

    A domain error travels as itself; an error that carries only a code (a permission
    class's refusal) becomes the domain error of that code; a value GraphQL itself
    refused (a variable of the wrong type) is the client's input, so a validation
    error; anything else is unexpected and stays as it was raised.
    """
    error = named_for_graphql(error)
    original = error.original_error
    extensions = error.extensions or {}
    if isinstance(original, DomainError):
        field = extensions.get("field")
        return original.naming(field if isinstance(field, str) else None)
    code = extensions.get("code")
    if isinstance(code, str) and code in ErrorCode.__members__:
        cls = _ERROR_CLASSES[ErrorCode(code)]
        field = extensions.get("field")
        return cls(error.message, field=field if isinstance(field, str) else None)
    if original is not None and not isinstance(original, GraphQLError):
        return original
    return ValidationFailed(error.message, field=_variable_field(error.message))


def _variable_field(message: str) -> str | None:
    """The input field graphql-core's coercion message names (`... at 'input.duration'; ...`)."""
    marker = " at '"
    if marker not in message:
        return None
    path = message.split(marker, 1)[1].split("'", 1)[0]
    return path.rsplit(".", 1)[-1] or None
