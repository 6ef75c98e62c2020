"""Which GraphQL errors a client may read: ours and GraphQL's own; everything else is masked."""

from __future__ import annotations

from graphql import GraphQLError

from crm.domain.errors import DomainError


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep domain errors (with their codes) and query errors."""
    original = error.original_error
    if original is None:
        return False  # a syntax or validation error about the query itself
    # A GraphQLError raised on purpose (a permission class's refusal) carries its own code.
    return not isinstance(original, DomainError | GraphQLError)
