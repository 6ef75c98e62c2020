"""graphql-core's view of the Strawberry schema, through Strawberry's public printer.

The limits walk a document against the schema's types, and the facade validates its
operations against them, before anything runs; Strawberry keeps its graphql-core schema
private, so this one is built once from the SDL it prints (the same `schema.graphql`
a test compares), which holds every type, field, argument and default they read.
"""

from __future__ import annotations

from functools import cache

import strawberry
from graphql import GraphQLSchema, build_schema
from strawberry.printer import print_schema


@cache
def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema of `schema`'s SDL (types and fields only: no resolvers)."""
    return build_schema(print_schema(schema))
