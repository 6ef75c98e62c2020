"""The GraphQL operations the Ringotel routes run in-process, and how they are run.

Each route module declares its operations as constants (`Operation`). When the app
is built they are parsed and validated against the schema, and the app refuses to
start with one that does not fit. A request runs its operation through the schema's
own `execute`, with the schema's extensions (limits, error masking and codes), whose
caches hold the document parsed and validated: no parsing or validation per request,
no query text built from input, no HTTP round trip to `/graphql`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, parse, validate

from crm.graphql.context import Context
from crm.graphql.core_schema import core_schema


@dataclass(frozen=True, slots=True)
class Operation:
    """One named GraphQL operation: its name and the document that holds it."""

    name: str
    document: str


class OperationDocumentError(Exception):
    """An operation document that does not fit the schema: the app must not start with it."""


class OperationFailed(Exception):
    """An operation answered with an error; `error` is the first, as the schema gave it."""

    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


def prepare(operation: Operation, schema: strawberry.Schema) -> None:
    """Parse and validate `operation`'s document: exactly one operation, named as declared."""
    name = operation.name
    try:
        document = parse(operation.document)
    except GraphQLError as exc:
        raise OperationDocumentError(f"{name}: {exc.message}") from None
    defined = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if [op.name.value if op.name else None for op in defined] != [name]:
        raise OperationDocumentError(f"{name}: the document must hold one operation named {name}")
    errors = validate(core_schema(schema), document)
    if errors:
        raise OperationDocumentError(f"{name}: " + "; ".join(error.message for error in errors))


class Operations:
    """The prepared operations of the facade, and how to run one."""

    def __init__(self, schema: strawberry.Schema, operations: Iterable[Operation]) -> None:
        self._schema = schema
        self._prepared: set[Operation] = set()
        for operation in operations:
            prepare(operation, schema)
            self._prepared.add(operation)

    def __contains__(self, operation: Operation) -> bool:
        return operation in self._prepared

    async def run(
        self, operation: Operation, variables: dict[str, Any], context: Context
    ) -> dict[str, Any]:
        """Execute `operation`; its data, or `OperationFailed` with the first error."""
        if operation not in self._prepared:
            raise OperationDocumentError(
                f"{operation.name} was not prepared when the app was built"
            )
        result = await self._schema.execute(
            operation.document,
            variable_values=variables,
            context_value=context,
            operation_name=operation.name,
        )
        if result.errors:
            raise OperationFailed(result.errors[0])
        assert result.data is not None  # no errors means there is data
        return result.data
