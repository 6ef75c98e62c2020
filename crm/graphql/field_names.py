"""The one table from the domain's attribute names to GraphQL's: `owner_id` is `ownerId`.

Domain errors name the attribute they refuse (`first_name`, `phones.1.number`); GraphQL
clients know the field by the schema's name, which Strawberry derives from the same
attribute by camel-casing it, so the error's `extensions["field"]` is renamed here the
same way, part by part, before a client (or the facade) reads it.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case

from crm.domain.errors import DomainError


def graphql_field(domain_field: str) -> str:
    """The GraphQL name of a domain attribute path: `phones.1.number` stays, `owner_id` is
    `ownerId`; a name already in GraphQL's form is left as it is."""
    return ".".join(to_camel_case(part) for part in domain_field.split("."))


def named_for_graphql(error: GraphQLError) -> GraphQLError:
    """`error` with the field its domain error names in GraphQL's vocabulary."""
    extensions = error.extensions or {}
    field = extensions.get("field")
    if not isinstance(error.original_error, DomainError) or not isinstance(field, str):
        return error
    renamed = graphql_field(field)
    if renamed != field:
        error.extensions = {**extensions, "field": renamed}
    return error
