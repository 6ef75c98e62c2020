"""Which GraphQL errors a client may read: ours and GraphQL's own; everything else is masked."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from crm.db import is_database_unavailable
from crm.domain.errors import DomainError, ErrorCode


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep domain errors (with their codes) and query errors."""
    original = error.original_error
    if original is None:
        return False  # a syntax or validation error about the query itself
    # A GraphQLError raised on purpose (a permission class's refusal) carries its own code.
    return not isinstance(original, DomainError | GraphQLError)


class CrmMaskErrors(MaskErrors):
    """Masks unexpected errors; a database outage becomes the UNAVAILABLE code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Internal error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is not None and is_database_unavailable(error.original_error):
            return GraphQLError(
                "the database is unavailable",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": ErrorCode.UNAVAILABLE.value},
            )
        return super().anonymise_error(error)
