"""The facade's GraphQL operations: each valid against the schema, each used, each run
through the schema's own execution."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from crm.domain.errors import NotFound, ValidationFailed
from crm.graphql.schema import schema
from facade.operations import Operation, OperationDocumentError, Operations, prepare
from facade.ringotel import activities, companies, contacts, recordings, users, webhook
from facade.ringotel.client import UnexpectedAnswer, field_named_by, hook_error
from facade.ringotel.table import OPERATIONS


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_every_operation_document_is_valid_against_the_schema(operation: Operation) -> None:
    prepare(operation, schema)


def test_every_route_modules_operation_is_prepared_and_only_those() -> None:
    declared = {
        value
        for module in (users, contacts, companies, activities, recordings, webhook)
        for value in vars(module).values()
        if isinstance(value, Operation)
    }
    assert declared == set(OPERATIONS)
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)
    operations = Operations(schema, OPERATIONS)
    assert all(op in operations for op in OPERATIONS)


def test_an_operation_that_does_not_fit_the_schema_stops_start_up() -> None:
    with pytest.raises(OperationDocumentError, match="Broken"):
        Operations(schema, [Operation("Broken", "query Broken { noSuchField }")])


def test_a_document_must_hold_one_operation_named_as_declared() -> None:
    with pytest.raises(OperationDocumentError, match="one operation named Users"):
        prepare(Operation("Users", "query Other { users { nodes { id } } }"), schema)
    with pytest.raises(OperationDocumentError, match="Syntax Error"):
        prepare(Operation("Users", "query Users {"), schema)


async def test_an_operation_not_prepared_is_never_run() -> None:
    from crm.domain.config import DomainConfig
    from crm.domain.services import Services
    from crm.graphql.context import new_context

    context = new_context(Services(DomainConfig()), None, prepared=True)
    with pytest.raises(OperationDocumentError, match="not prepared"):
        await Operations(schema, []).run(users.USERS_QUERY, {}, context)


def test_graphql_errors_become_the_domain_errors_they_stand_for() -> None:
    coded = hook_error(GraphQLError("gone", extensions={"code": "NOT_FOUND", "field": "id"}), {})
    assert isinstance(coded, NotFound)
    assert coded.field == "id"
    coercion = GraphQLError(
        "Variable '$input' got invalid value 1e99 at 'input.duration'; Int cannot represent",
        extensions={"code": "VALIDATION", "field": "input"},
    )
    assert field_named_by(coercion) == "duration"
    refused = hook_error(coercion, {})
    assert isinstance(refused, ValidationFailed)
    assert refused.field == "call_duration"
    masked = GraphQLError("Internal error.", path=["createContact"])
    assert isinstance(hook_error(masked, {}), UnexpectedAnswer)


def test_an_error_names_the_field_the_ringotel_client_sent() -> None:
    sent = {
        "input": {"phones": [{"number": "1", "kind": "WORK"}, {"number": "2", "kind": "MOBILE"}]}
    }
    named = {
        "firstName": "firstname",
        "ownerId": "user_id",
        "startedAt": "call_start",
        "phones.0.number": "phone",
        "phones.1.number": "mobile",
        "id": "contact_id",
        "other": "other",
    }
    for graphql_name, ringotel in named.items():
        error = GraphQLError("bad", extensions={"code": "VALIDATION", "field": graphql_name})
        found = hook_error(error, sent, "contact_id")
        assert isinstance(found, ValidationFailed)
        assert found.field == ringotel, graphql_name
