"""The facade's GraphQL operation documents: each valid against the schema, each used."""

from __future__ import annotations

import pytest

from crm.domain.errors import NotFound, ValidationFailed
from crm.graphql.schema import schema
from facade.operations import (
    OperationDocumentError,
    Operations,
    as_domain_error,
    prepare,
    read_documents,
)
from facade.ringotel.table import HOOKS


@pytest.mark.parametrize(("name", "source"), sorted(read_documents().items()))
def test_every_operation_document_is_valid_against_the_schema(name: str, source: str) -> None:
    prepared = prepare(name, source, schema)
    assert prepared.name == name


def test_every_hook_runs_an_existing_operation_and_every_operation_is_used() -> None:
    operations = Operations(schema)
    used = {name for hook in HOOKS for name in (hook.operation, hook.prefetch) if name}
    assert all(name in operations for name in used)
    assert set(operations.names()) == used


def test_an_operation_that_does_not_fit_the_schema_stops_start_up() -> None:
    with pytest.raises(OperationDocumentError, match=r"Broken\.graphql"):
        Operations(schema, {"Broken": "query Broken { noSuchField }"})


def test_a_document_must_hold_one_operation_named_like_its_file() -> None:
    with pytest.raises(OperationDocumentError, match="one operation named Users"):
        prepare("Users", "query Other { users { nodes { id } } }", schema)
    with pytest.raises(OperationDocumentError, match="Syntax Error"):
        prepare("Users", "query Users {", schema)


def test_graphql_errors_become_the_domain_errors_they_stand_for() -> None:
    from graphql import GraphQLError

    coded = as_domain_error(GraphQLError("gone", extensions={"code": "NOT_FOUND", "field": "id"}))
    assert isinstance(coded, NotFound)
    assert coded.field == "id"
    coercion = as_domain_error(
        GraphQLError(
            "Variable '$input' got invalid value 1e99 at 'input.duration'; Int cannot represent"
        )
    )
    assert isinstance(coercion, ValidationFailed)
    assert coercion.field == "duration"
    unexpected = RuntimeError("boom")
    assert as_domain_error(GraphQLError("boom", original_error=unexpected)) is unexpected
