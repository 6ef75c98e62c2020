"""Which GraphQL errors a client may read: ours and GraphQL's own; everything else is masked."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    ObjectFieldNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.execution import PreExecutionError

from crm.domain.errors import DomainError, ErrorCode
from crm.engine import is_database_unavailable
from crm.graphql.field_names import named_for_graphql
from crm.graphql.limits import LimitCode


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep domain errors (with their codes) and query errors."""
    original = error.original_error
    if original is None:
        return False  # a syntax or validation error about the query itself
    # A GraphQLError raised on purpose (a permission class's refusal) carries its own code.
    return not isinstance(original, DomainError | GraphQLError | StrawberryInputCoercionError)


def bad_input_error(
    error: GraphQLError, document: DocumentNode | None = None, schema: GraphQLSchema | None = None
) -> GraphQLError:
    """A value a scalar could not read (a malformed DateTime, say) as a VALIDATION error
    naming the variable it came in, or the argument or input field it was written in,
    like the domain's own validation errors.
    """
    node = error.nodes[0] if error.nodes else None
    nodes = error.nodes
    extensions: dict[str, str] = {"code": ErrorCode.VALIDATION.value}
    if isinstance(node, VariableDefinitionNode):
        extensions["field"] = node.variable.name.value
    elif node is None and document is not None and schema is not None:
        found = literal_refused(document, schema, error.message)
        if found is not None:
            extensions["field"], value = found
            nodes = [value]
    return GraphQLError(error.message, nodes=nodes, path=error.path, extensions=extensions)


def literal_refused(
    document: DocumentNode, schema: GraphQLSchema, message: str
) -> tuple[str, ValueNode] | None:
    """The argument or input field whose literal a scalar refuses with `message`.

    graphql-core reports a scalar's own refusal of a literal as the scalar raised it,
    without the node it was written at, so the node is looked for again here.
    """
    type_info = TypeInfo(schema)
    found: list[tuple[str, ValueNode]] = []

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> object:
            return self.check(node.name.value, node.value)

        def enter_object_field(self, node: ObjectFieldNode, *_: object) -> object:
            return self.check(node.name.value, node.value)

        def check(self, name: str, value: ValueNode) -> object:
            scalar = get_named_type(type_info.get_input_type())
            if not isinstance(scalar, GraphQLScalarType) or isinstance(value, VariableNode):
                return None
            try:
                scalar.parse_literal(value)
            except GraphQLError as refused:
                if refused.message == message:
                    found.append((name, value))
                    return BREAK
            except Exception:  # noqa: S110 (another refusal; not the one looked for)
                pass
            return None

    visit(document, TypeInfoVisitor(type_info, Finder()))
    return found[0] if found else None


def coded(
    error: GraphQLError,
    document: DocumentNode | None,
    schema: GraphQLSchema,
    *,
    before_execution: bool,
) -> GraphQLError:
    """`error` with a code: a value refused for its type is VALIDATION naming where it came
    in; any other validation failure of the document that graphql-core gave no code is
    GRAPHQL_VALIDATION_FAILED."""
    if isinstance(error, StrawberryInputCoercionError) or isinstance(
        error.original_error, StrawberryInputCoercionError
    ):
        return bad_input_error(error, document, schema)
    if error.path is not None or (error.extensions or {}).get("code"):
        return error
    if before_execution:
        if error.original_error is not None:
            return error
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            extensions={"code": LimitCode.GRAPHQL_VALIDATION_FAILED.value},
        )
    node = error.nodes[0] if error.nodes else None
    if isinstance(node, VariableDefinitionNode) and (
        error.original_error is None or isinstance(error.original_error, GraphQLError)
    ):
        return bad_input_error(error)  # a variable's value that does not fit its type
    return error


class CrmMaskErrors(MaskErrors):
    """Masks unexpected errors; a database outage becomes the UNAVAILABLE code; a domain
    error names its field as the schema does."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Internal error.")

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        context = self.execution_context
        result = context.result
        if isinstance(result, ExecutionResult | StrawberryExecutionResult) and result.errors:
            document, schema = context.graphql_document, context.schema._schema
            before = isinstance(result, PreExecutionError)  # parsed, but did not validate
            result.errors = [
                coded(named_for_graphql(error), document, schema, before_execution=before)
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
