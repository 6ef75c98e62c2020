"""Which GraphQL errors a client may read: ours and GraphQL's own; everything else is masked."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, VariableDefinitionNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from crm.db import is_database_unavailable
from crm.domain.errors import DomainError, ErrorCode


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep domain errors (with their codes) and query errors."""
    original = error.original_error
    if original is None:
        return False  # a syntax or validation error about the query itself
    # A GraphQLError raised on purpose (a permission class's refusal) carries its own code.
    return not isinstance(original, DomainError | GraphQLError | StrawberryInputCoercionError)


def bad_input_error(error: GraphQLError) -> GraphQLError:
    """A value a scalar could not read (a malformed DateTime, say) as a VALIDATION error
    naming the variable it came in, like the domain's own validation errors.
    """
    node = error.nodes[0] if error.nodes else None
    extensions: dict[str, str] = {"code": ErrorCode.VALIDATION.value}
    if isinstance(node, VariableDefinitionNode):
        extensions["field"] = node.variable.name.value
    return GraphQLError(error.message, nodes=error.nodes, path=error.path, extensions=extensions)


class CrmMaskErrors(MaskErrors):
    """Masks unexpected errors; a database outage becomes the UNAVAILABLE code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Internal error.")

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        result = self.execution_context.result
        if isinstance(result, ExecutionResult | StrawberryExecutionResult) and result.errors:
            result.errors = [
                bad_input_error(error)
                if isinstance(error.original_error, StrawberryInputCoercionError)
                else error
                for error in result.errors
            ]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is not None and is_database_unavailable(error.original_error):
            return GraphQLError(
                "the database is unavailable",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": ErrorCode.UNAVAILABLE.value},
            )
        return super().anonymise_error(error)
