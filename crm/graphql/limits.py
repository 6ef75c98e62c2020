"""Limits on one GraphQL request, checked before any resolver runs.

A document is measured in three steps, each bounded by the one before it:

1. before parsing, its tokens are counted and its brackets' nesting is followed
   (one pass of graphql-core's lexer, which recurses on nothing), so parsing and
   everything after it work on a document of bounded size;
2. before graphql-core's validation (whose check that fields merge compares every
   pair of fields of one name, a cost quadratic in their number), the parsed
   operation is walked once, fragments expanded: its depth, its aliases, how often
   one field is selected in one place, and its cost, the number of fields it would
   resolve, page sizes (`first:` as written, as a variable or the default page
   size) multiplied through nested lists. The walk stops as soon as a limit is
   passed, so it too is bounded by the limits;
3. execution runs under a time limit, and is cancelled when it is reached.

Strawberry's `QueryDepthLimiter`, `MaxAliasesLimiter` and `MaxTokensLimiter` take one
fixed limit per schema and the first two run inside graphql-core's validation, after
the quadratic part has started; here the limits depend on who is asking (a request
without credentials gets a small budget), and come first.

Every refusal is a GraphQL error whose `extensions.code` says which limit, and whose
message names the setting that raises it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    VariableNode,
    get_named_type,
    parse,
)
from graphql.language import Lexer, TokenKind
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension, ValidationCache

from crm.domain.errors import ErrorCode
from crm.domain.principal import Principal
from crm.graphql.core_schema import core_schema
from crm.settings import Settings

UNPAGED_LIST_SIZE = 5
"""How many items a list without a page size is counted as: a record's numbers (at most 20,
a few in practice), a number's matches (a few)."""

PAGE_SIZE_ARGUMENTS = ("first", "limit")
"""The arguments that set how many items a list field returns."""

INTROSPECTION_COST = {"__schema": 2500, "__type": 50}
"""What an introspection field counts as, its selections included: of the order of what a
full introspection of this schema resolves (3,557 fields, measured). Its selections are not
counted again: graphql-core's `MaxIntrospectionDepthRule` (a validation rule) bounds how
deeply they may nest."""

_OPENING = frozenset({TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L})
_CLOSING = frozenset({TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R})
_NUMBERS = frozenset({TokenKind.INT, TokenKind.FLOAT})

MAX_NUMBER_CHARACTERS = 100
"""The longest number a document may hold: graphql-core reads an Int literal with `int()`,
which refuses more than 4,300 digits with an error it does not expect."""

CHARACTERS_PER_TOKEN = 100
"""A document may hold this many characters per token it may hold: a token limit alone
lets one string literal of any length through, to be parsed and cached."""

CACHED_SCAN_CHARACTERS = 20_000
"""Documents up to this long have their scan cached (a client sends the same few)."""

BRACKET_SLACK = 10
"""Brackets a document may nest beyond its field depth (arguments, lists, input objects)."""


class LimitCode(StrEnum):
    """Why a request was refused before (or while) it ran."""

    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    TIMEOUT = "TIMEOUT"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    """The document is not GraphQL (graphql-core's syntax error, with a code)."""
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    """The document does not fit the schema (graphql-core's validation error, with a code)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """What one request may ask for; the defaults are the settings' defaults."""

    max_tokens: int = 2000
    max_depth: int = 12
    max_aliases: int = 30
    max_repeats: int = 10
    max_cost: int = 5000
    timeout_s: float | None = 10.0
    """How long execution may run; `None`: as long as it takes."""
    page_size_default: int = 50
    page_size_max: int = 500
    introspection: bool = True
    tokens_setting: str = "CRM_GRAPHQL_MAX_TOKENS"
    cost_setting: str = "CRM_GRAPHQL_MAX_COST"
    who: str = ""
    """How the messages name the caller, e.g. " to a request without credentials"."""


@dataclass(frozen=True, slots=True)
class Budgets:
    """The budget of a caller with credentials, and the smaller one of a caller without."""

    signed_in: Budget
    anonymous: Budget

    def for_principal(self, principal: Principal | None) -> Budget:
        return self.anonymous if principal is None else self.signed_in

    def for_prepared(self) -> Budget:
        """The budget of the facade's own operations, fixed documents checked at start-up:
        the size, depth and alias limits of a signed-in caller, no cost limit (the page-size
        cap bounds theirs, and a full page of contacts costs more than a client's document
        may) and no time limit (a hook is the contract's, not a client's choice of work)."""
        return _prepared_budget(self.signed_in)


@lru_cache(maxsize=8)
def _prepared_budget(signed_in: Budget) -> Budget:
    """`Budgets.for_prepared`, made once per budget rather than on every hook's request."""
    return replace(signed_in, max_cost=sys.maxsize, timeout_s=None)


def budgets(settings: Settings) -> Budgets:
    """The two budgets the settings describe."""
    signed_in = Budget(
        max_tokens=settings.graphql_max_tokens,
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_repeats=settings.graphql_max_repeats,
        max_cost=settings.graphql_max_cost,
        timeout_s=settings.graphql_timeout_s,
        page_size_default=settings.page_size_default,
        page_size_max=settings.page_size_max,
    )
    anonymous = replace(
        signed_in,
        max_tokens=min(settings.graphql_anonymous_max_tokens, settings.graphql_max_tokens),
        max_cost=min(settings.graphql_anonymous_max_cost, settings.graphql_max_cost),
        introspection=settings.graphql_public_introspection,
        tokens_setting="CRM_GRAPHQL_ANONYMOUS_MAX_TOKENS",
        cost_setting="CRM_GRAPHQL_ANONYMOUS_MAX_COST",
        who=" to a request without credentials",
    )
    return Budgets(signed_in=signed_in, anonymous=anonymous)


def refusal(code: LimitCode | ErrorCode, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value})


# --- 1. before parsing -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    tokens: int
    """Tokens counted, stopping one past the limit."""
    nesting: int
    """The deepest bracket nesting seen in the tokens counted."""
    longest_number: int = 0
    """The most characters of a number in the tokens counted."""


def scan(query: str, max_tokens: int) -> Shape:
    """`count_tokens`, cached for documents of ordinary length."""
    if len(query) <= CACHED_SCAN_CHARACTERS:
        return _cached_count(query, max_tokens)
    return count_tokens(query, max_tokens)


def count_tokens(query: str, max_tokens: int) -> Shape:
    """Count `query`'s tokens (at most `max_tokens + 1`) and their bracket nesting."""
    lexer = Lexer(Source(query))
    tokens = nesting = deepest = longest_number = 0
    try:
        while tokens <= max_tokens:
            token = lexer.advance()
            if token.kind == TokenKind.EOF:
                break
            tokens += 1
            if token.kind in _OPENING:
                nesting += 1
                deepest = max(deepest, nesting)
            elif token.kind in _CLOSING:
                nesting -= 1
            elif token.kind in _NUMBERS:
                longest_number = max(longest_number, len(token.value or ""))
    except GraphQLError:
        pass  # a syntax error: the parser reports it, on a document now known to be small
    return Shape(tokens=tokens, nesting=deepest, longest_number=longest_number)


_cached_count = lru_cache(maxsize=256)(count_tokens)
_cached_parse = lru_cache(maxsize=256)(parse)


def check_shape(query: str, budget: Budget) -> GraphQLError | None:
    """The refusal for a document too large or too deeply nested to parse, if it is."""
    if len(query) > budget.max_tokens * CHARACTERS_PER_TOKEN:
        return refusal(
            LimitCode.QUERY_TOO_LARGE,
            f"The document is longer than {budget.max_tokens * CHARACTERS_PER_TOKEN} "
            f"characters ({CHARACTERS_PER_TOKEN} for each token {budget.tokens_setting} "
            f"allows{budget.who}); send long values as variables.",
        )
    shape = scan(query, budget.max_tokens)
    if shape.tokens > budget.max_tokens:
        return refusal(
            LimitCode.QUERY_TOO_LARGE,
            f"The document has more than {budget.max_tokens} tokens, "
            f"the most {budget.tokens_setting} allows{budget.who}.",
        )
    if shape.longest_number > MAX_NUMBER_CHARACTERS:
        return refusal(
            ErrorCode.VALIDATION,
            f"The document holds a number of more than {MAX_NUMBER_CHARACTERS} characters.",
        )
    if shape.nesting > budget.max_depth + BRACKET_SLACK:
        return _too_deep(budget, f"brackets nested {shape.nesting} deep")
    return None


def _too_deep(budget: Budget, what: str) -> GraphQLError:
    return refusal(
        LimitCode.QUERY_TOO_DEEP,
        f"The document has {what}; CRM_GRAPHQL_MAX_DEPTH allows fields {budget.max_depth} deep.",
    )


# --- 2. before validation ----------------------------------------------------------


class _Refused(Exception):
    def __init__(self, error: GraphQLError) -> None:
        self.error = error


_Collected = tuple[FieldNode, GraphQLNamedType | None, frozenset[str]]
"""A field, the type it is selected on, and the fragments spread on the way to it."""
_Place = tuple[SelectionSetNode, GraphQLNamedType | None, frozenset[str]]
"""A selection set, the type it selects on, and the fragments spread on the way to it."""


class _Measure:
    """One walk of an operation, fragments expanded; raises `_Refused` at the first limit."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        budget: Budget,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.budget = budget
        self.cost = 0
        self.aliases = 0

    def operation(self, operation: OperationDefinitionNode) -> None:
        root = self.schema.get_root_type(operation.operation)
        self.selections([(operation.selection_set, root, frozenset())], 1, 1, paged=None)

    def selections(self, sets: list[_Place], count: int, depth: int, *, paged: int | None) -> None:
        """Measure `sets`, the selection sets of the fields of one response name (GraphQL
        merges them into one), each resolved `count` times."""
        budget = self.budget
        if depth > budget.max_depth:
            raise _Refused(_too_deep(budget, f"fields nested more than {budget.max_depth} deep"))
        by_key: dict[str, list[_Collected]] = {}
        for selection_set, parent, fragments in sets:
            for collected in self.collect(selection_set, parent, fragments):
                field = collected[0]
                by_key.setdefault((field.alias or field.name).value, []).append(collected)
        for key, group in by_key.items():
            self.group(key, group, count, depth, paged=paged)

    def group(
        self, key: str, group: list[_Collected], count: int, depth: int, *, paged: int | None
    ) -> None:
        """Measure the fields selected under one response name in one (merged) place."""
        budget = self.budget
        if len(group) > budget.max_repeats:
            raise _Refused(
                refusal(
                    LimitCode.QUERY_TOO_COMPLEX,
                    f"The field {key!r} is selected more than {budget.max_repeats} times in "
                    f"one place; CRM_GRAPHQL_MAX_REPEATS allows {budget.max_repeats}.",
                )
            )
        self.aliases += sum(1 for field, _, _ in group if field.alias)
        if self.aliases > budget.max_aliases:
            raise _Refused(
                refusal(
                    LimitCode.TOO_MANY_ALIASES,
                    f"The document has more than {budget.max_aliases} aliases, "
                    "the most CRM_GRAPHQL_MAX_ALIASES allows.",
                )
            )
        field, parent, _ = group[0]
        introspection = INTROSPECTION_COST.get(field.name.value)
        if introspection is not None:
            if not budget.introspection:
                raise _Refused(
                    refusal(
                        ErrorCode.FORBIDDEN,
                        "Introspection needs a credential "
                        "(CRM_GRAPHQL_PUBLIC_INTROSPECTION is off).",
                    )
                )
            self.charge(count * introspection)
            return
        self.charge(count)  # fields of one response name resolve once
        definition = self.definition(parent, field.name.value)
        child = get_named_type(definition.type) if definition else None
        size, passed_on = 1, None
        children: list[_Place] = []
        for member, _, fragments in group:
            if member.selection_set is not None:
                member_size, member_passed_on = self.size(member, definition, paged=paged)
                size = max(size, member_size)
                passed_on = max(passed_on or 0, member_passed_on or 0) or None
                children.append((member.selection_set, child, fragments))
        if children:
            self.selections(children, count * size, depth + 1, paged=passed_on)

    def charge(self, amount: int) -> None:
        self.cost += amount
        if self.cost > self.budget.max_cost:
            budget = self.budget
            raise _Refused(
                refusal(
                    LimitCode.QUERY_TOO_COMPLEX,
                    f"The query would resolve more than {budget.max_cost} fields "
                    "(page sizes multiplied through nested lists), the most "
                    f"{budget.cost_setting} allows{budget.who}.",
                )
            )

    def collect(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        fragments: frozenset[str],
    ) -> list[_Collected]:
        """The fields of one selection set, inline fragments and spreads expanded (a stack,
        not recursion: fragments may spread fragments without nesting any field)."""
        collected: list[_Collected] = []
        stack: list[_Place] = [(selection_set, parent, fragments)]
        while stack:
            current, current_parent, seen = stack.pop()
            for selection in current.selections:
                if isinstance(selection, FieldNode):
                    collected.append((selection, current_parent, seen))
                    if len(collected) > self.budget.max_cost:
                        self.charge(len(collected))
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    stack.append(
                        (
                            selection.selection_set,
                            self.type_named(condition.name.value) if condition else current_parent,
                            seen,
                        )
                    )
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or name in seen:
                        continue  # validation reports unknown fragments and cycles
                    stack.append(
                        (
                            fragment.selection_set,
                            self.type_named(fragment.type_condition.name.value),
                            seen | {name},
                        )
                    )
        return collected

    def type_named(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)

    def definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field: GraphQLField | None = parent.fields.get(name)
            return field
        return None  # an unknown type or field: validation reports it

    def size(
        self, field: FieldNode, definition: GraphQLField | None, *, paged: int | None
    ) -> tuple[int, int | None]:
        """How many items `field` multiplies its selections by, and the page size it passes
        on to them: a connection's page size is the size of the list inside it (`nodes`),
        while the connection itself and its `pageInfo` resolve once.

        `paged` is the page size the field's parent passed on, if any.
        """
        if definition is None:
            return 1, None
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        for name in PAGE_SIZE_ARGUMENTS:
            argument = definition.args.get(name)
            if argument is not None:
                size = self.page_size(field, name, argument.default_value)
                return (size, None) if is_list else (1, size)
        if is_list:
            return (UNPAGED_LIST_SIZE if paged is None else paged), None
        return 1, None

    def page_size(self, field: FieldNode, name: str, default: object) -> int:
        budget = self.budget
        size: object = None
        for argument in field.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                size = _literal_int(value)
            elif isinstance(value, VariableNode):
                size = self.variables.get(value.name.value)
        if not isinstance(size, int) or isinstance(size, bool):
            size = default if isinstance(default, int) else budget.page_size_default
        return max(1, min(size, budget.page_size_max))


def _literal_int(node: IntValueNode) -> int:
    """An Int literal's value; one too long for Python to read is larger than any page."""
    digits = node.value.lstrip("-")
    if len(digits) > 18:
        return -(10**18) if node.value.startswith("-") else 10**18
    return int(node.value)


def measure(
    schema: GraphQLSchema,
    operations: list[OperationDefinitionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    budget: Budget,
) -> GraphQLError | None:
    """The refusal for the first operation that asks for more than `budget` allows."""
    for operation in operations:
        defaults = {
            definition.variable.name.value: _literal_int(definition.default_value)
            for definition in operation.variable_definitions or ()
            if isinstance(definition.default_value, IntValueNode)
        }
        try:
            _Measure(schema, fragments, {**defaults, **variables}, budget).operation(operation)
        except _Refused as refused:
            return refused.error
    return None


def measure_query(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any],
    budget: Budget,
) -> GraphQLError | None:
    """`measure` of the operation `operation_name` of `query` (all of them without a name),
    remembered for documents of ordinary length: a client sends the same few again and again.

    The measurement depends on nothing but the document, the operation chosen, the budget
    and the Int values of the operation's own variables (a page size may be one), so those
    are the key, and a remembered measurement is the one the walk would make again.
    """
    document = _cached_parse(query)
    operations = _operations(document, operation_name)
    if len(query) > CACHED_SCAN_CHARACTERS:
        return measure(schema, operations, _fragments(document), variables, budget)
    defined = {
        definition.variable.name.value
        for operation in operations
        for definition in operation.variable_definitions or ()
    }
    sizes = tuple(
        sorted(
            (name, value)
            for name, value in variables.items()
            if name in defined and isinstance(value, int) and not isinstance(value, bool)
        )
    )
    error = _cached_measure(schema, query, operation_name, sizes, budget)
    # A fresh error for each refusal: the request's error handling may annotate it.
    if error is None:
        return None
    return GraphQLError(error.message, extensions=dict(error.extensions or {}))


@lru_cache(maxsize=256)
def _cached_measure(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    sizes: tuple[tuple[str, int], ...],
    budget: Budget,
) -> GraphQLError | None:
    document = _cached_parse(query)
    return measure(
        schema,
        _operations(document, operation_name),
        _fragments(document),
        dict(sizes),
        budget,
    )


def _operations(
    document: DocumentNode, operation_name: str | None
) -> list[OperationDefinitionNode]:
    """The operations of `document` a request runs: the one named, or all of them."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return [op for op in operations if op.name and op.name.value == operation_name]
    return operations


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


# --- the extensions ----------------------------------------------------------------


def parse_within(query: str, budget: Budget) -> DocumentNode | GraphQLError:
    """`query` measured against `budget` and parsed (cached), or the coded refusal.

    `QueryLimits` raises the refusal; the WebSocket transport sends it as the operation's
    error, since Strawberry's streaming path does not turn a parse hook's error into one.
    """
    error = check_shape(query, budget)
    if error is not None:
        return error
    try:
        return _cached_parse(query)
    except GraphQLError as syntax:
        return GraphQLError(
            syntax.message,
            source=syntax.source,
            positions=syntax.positions,
            extensions={"code": LimitCode.GRAPHQL_PARSE_FAILED.value},
        )


class QueryLimits(SchemaExtension):
    """Applies the caller's budget: before parsing, before validation, and to execution.

    The budget comes from the context (`Context.budget`); a context without one gets
    the default budget of a caller with credentials. The time limit is an async hook:
    the schema is executed asynchronously (`Schema.execute`), never with `execute_sync`.
    """

    def budget(self) -> Budget:
        budget = getattr(self.execution_context.context, "budget", None)
        return budget if isinstance(budget, Budget) else Budget()

    def on_parse(self) -> Iterator[None]:
        """Measure the document, then parse it (cached, as Strawberry's `ParserCache` does;
        here so that a syntax error gets its code)."""
        context = self.execution_context
        query = context.query
        if query is not None and context.graphql_document is None:
            parsed = parse_within(query, self.budget())
            if isinstance(parsed, GraphQLError):
                raise parsed  # as graphql-core's parser raises a syntax error
            context.graphql_document = parsed
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            name = context.operation_name
            variables = context.variables or {}
            schema = core_schema(context.schema)
            budget = self.budget()
            if context.query is not None and document is _cached_parse(context.query):
                error = measure_query(schema, context.query, name, variables, budget)
            else:  # a document not parsed here from the query's text
                operations = _operations(document, name)
                error = measure(schema, operations, _fragments(document), variables, budget)
            if error is not None:
                context.pre_execution_errors = [error]  # so validation is not run
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        budget = self.budget()
        try:
            async with asyncio.timeout(budget.timeout_s):
                yield
        except TimeoutError:
            raise refusal(
                LimitCode.TIMEOUT,
                f"The request ran longer than {budget.timeout_s:g} s and was stopped; "
                "CRM_GRAPHQL_TIMEOUT_S sets the limit.",
            ) from None


class CheckedValidationCache(ValidationCache):
    """Strawberry's validation cache, skipped when `QueryLimits` has already refused, and
    for the facade's prepared operations (`Context.prepared`): their fixed documents were
    validated when the app was built, and looking one up again hashes its whole tree."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors:
            yield
        elif getattr(context.context, "prepared", False) is True:
            context.pre_execution_errors = []  # validated at start-up: nothing to run again
            yield
        else:
            yield from super().on_validate()
