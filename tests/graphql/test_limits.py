"""The limits a GraphQL request meets before it runs (depth, aliases, tokens, repeats, cost)
and while it runs (time): each refusal has its code and names its setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from crm.graphql.core_schema import core_schema
from crm.graphql.limits import Budget, budgets, check_shape, measure
from crm.graphql.schema import schema
from facade.app import create_app
from facade.ringotel.table import OPERATIONS
from tests.conftest import full_access_key, make_settings
from tests.graphql.crm_records import create_company, create_contact
from tests.graphql_client import gql, gql_errors


def sixteen_hops() -> str:
    """The issue's 447-byte document: contact → company → contacts(first: 5) → ..., 16 hops."""
    hop_open = "company { contacts(first: 5) { nodes { "
    hop_close = "} } } "
    return (
        '{ contact(id: "00000000-0000-0000-0000-000000000000") { '
        + hop_open * 16
        + "id "
        + hop_close * 16
        + "} }"
    )


def only_error(errors: list[dict[str, Any]], code: str) -> dict[str, Any]:
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["extensions"]["code"] == code, error
    return error


async def test_limits_sixteen_hops_refused_as_too_deep(client: httpx.AsyncClient) -> None:
    error = only_error(await gql_errors(client, sixteen_hops()), "QUERY_TOO_DEEP")
    assert "CRM_GRAPHQL_MAX_DEPTH" in error["message"]


async def test_limits_nested_pages_within_depth_refused_by_cost(client: httpx.AsyncClient) -> None:
    query = """
    { contacts(first: 50) { nodes { activities(first: 50) { nodes {
        contact { company { contacts(first: 50) { nodes { id } } } } } } } } }
    """
    error = only_error(await gql_errors(client, query), "QUERY_TOO_COMPLEX")
    assert "CRM_GRAPHQL_MAX_COST" in error["message"]


async def test_limits_cost_reads_page_sizes_given_as_variables(client: httpx.AsyncClient) -> None:
    query = """
    query Pages($n: Int) { contacts(first: $n) { nodes { activities(first: $n) {
        nodes { id callId } } } } }
    """
    # 10 x 10 activities are well within the budget; 500 x 500 are not
    await gql(client, query, {"n": 10})
    error = only_error(await gql_errors(client, query, {"n": 500}), "QUERY_TOO_COMPLEX")
    assert "CRM_GRAPHQL_MAX_COST" in error["message"]


async def test_limits_remembered_measurement_is_per_page_size(client: httpx.AsyncClient) -> None:
    """A document's measurement is remembered; the page sizes its variables give are part of
    what is remembered, so neither answer is reused for the other."""
    query = """
    query Remembered($n: Int) { contacts(first: $n) { nodes { activities(first: $n) {
        nodes { id } } } } }
    """
    for n in (500, 10, 500, 10):
        if n == 10:
            await gql(client, query, {"n": n})
        else:
            only_error(await gql_errors(client, query, {"n": n}), "QUERY_TOO_COMPLEX")


async def test_limits_cost_counts_the_default_page_size_when_none_is_given(
    client: httpx.AsyncClient,
) -> None:
    # 50 (the default page size) x 50 x 3 fields: more than the default cost of 5000
    query = "{ contacts { nodes { activities { nodes { id callId startedAt } } } } }"
    only_error(await gql_errors(client, query), "QUERY_TOO_COMPLEX")


async def test_limits_thousand_aliases_refused_before_parsing(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"c{i}: contacts(first: 50) {{ nodes {{ id }} }}" for i in range(1000))
    error = only_error(await gql_errors(client, "{ " + aliases + " }"), "QUERY_TOO_LARGE")
    assert "CRM_GRAPHQL_MAX_TOKENS" in error["message"]


async def test_limits_one_huge_string_literal_refused_before_parsing(
    client: httpx.AsyncClient,
) -> None:
    query = '{ contacts(filter: {text: "' + "x" * 300_000 + '"}) { nodes { id } } }'
    error = only_error(await gql_errors(client, query), "QUERY_TOO_LARGE")
    assert "variables" in error["message"]


async def test_limits_page_size_too_long_to_read_is_refused_with_a_code(
    client: httpx.AsyncClient,
) -> None:
    # more digits than Python reads into an int (4300): GraphQL's own Int refuses it
    query = "{ contacts(first: " + "9" * 5000 + ") { nodes { id } } }"
    error = only_error(await gql_errors(client, query), "VALIDATION")
    assert "number" in error["message"]


async def test_limits_aliases_past_the_limit_refused(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"c{i}: contacts(first: 1) {{ nodes {{ id }} }}" for i in range(31))
    error = only_error(await gql_errors(client, "{ " + aliases + " }"), "TOO_MANY_ALIASES")
    assert "CRM_GRAPHQL_MAX_ALIASES" in error["message"]


async def test_limits_aliases_in_a_fragment_count_each_time_it_is_spread(
    client: httpx.AsyncClient,
) -> None:
    names = " ".join(f"n{i}: firstName" for i in range(16))
    query = (
        "{ contacts(first: 1) { nodes { ...Names } }"
        " companies(first: 1) { nodes { contacts(first: 1) { nodes { ...Names } } } } }"
        f" fragment Names on Contact {{ {names} }}"
    )
    only_error(await gql_errors(client, query), "TOO_MANY_ALIASES")


async def test_limits_one_field_repeated_refused_before_validation(
    client: httpx.AsyncClient,
) -> None:
    # graphql-core compares every pair of same-named fields: 200 copies took seconds
    query = "{ " + " ".join("users(first: 1) { nodes { id } }" for _ in range(11)) + " }"
    error = only_error(await gql_errors(client, query), "QUERY_TOO_COMPLEX")
    assert "CRM_GRAPHQL_MAX_REPEATS" in error["message"]


async def test_limits_repeats_count_across_the_fields_graphql_merges(
    client: httpx.AsyncClient,
) -> None:
    # 10 `company` (allowed) each holding 9 `contacts` (allowed): merged, 90 `contacts`,
    # whose pairwise comparison took graphql-core's validation a third of a second
    inner = " ".join(["contacts(first: 1) { nodes { id } }"] * 9)
    query = "{ contacts(first: 1) { nodes { " + " ".join([f"company {{ {inner} }}"] * 10) + " } } }"
    error = only_error(await gql_errors(client, query), "QUERY_TOO_COMPLEX")
    assert "'contacts'" in error["message"]
    # the same fragment spread in one place repeats its fields as well
    spreads = " ".join(["...Names"] * 11)
    query = (
        f"{{ contacts(first: 1) {{ nodes {{ {spreads} }} }} }} fragment Names on Contact {{ id }}"
    )
    only_error(await gql_errors(client, query), "QUERY_TOO_COMPLEX")


async def test_limits_hundred_nested_levels_refused_with_a_code(
    client: httpx.AsyncClient,
) -> None:
    query = "{ " + "contacts { nodes { " * 50 + "id" + " } }" * 50 + " }"
    error = only_error(await gql_errors(client, query), "QUERY_TOO_DEEP")
    assert "CRM_GRAPHQL_MAX_DEPTH" in error["message"]


async def test_limits_deeply_nested_brackets_refused_before_parsing(
    client: httpx.AsyncClient,
) -> None:
    nested = "{ contacts(after: " + "[" * 100_000 + "]" * 100_000 + ") { nodes { id } } }"
    only_error(await gql_errors(client, nested), "QUERY_TOO_LARGE")
    brackets = "{ contacts(after: " + "[" * 40 + "]" * 40 + ") { nodes { id } } }"
    only_error(await gql_errors(client, brackets), "QUERY_TOO_DEEP")
    await gql(client, "{ contacts(after: null) { nodes { id } } }")


async def test_limits_fragment_cycles_and_chains_end_without_recursion_error(
    client: httpx.AsyncClient,
) -> None:
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(150))
    query = "{ ...F0 }\n" + chain + "\nfragment F150 on Query { __typename }"
    assert await gql(client, query) == {"__typename": "Query"}
    cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    errors = await gql_errors(client, cycle)
    assert "Internal error." not in {error["message"] for error in errors}


async def test_limits_anonymous_five_thousand_aliases_refused_by_the_small_budget(
    anonymous: httpx.AsyncClient,
) -> None:
    aliases = " ".join(f"u{i}: users {{ nodes {{ id }} }}" for i in range(5000))
    error = only_error(await gql_errors(anonymous, "{ " + aliases + " }"), "QUERY_TOO_LARGE")
    assert "CRM_GRAPHQL_ANONYMOUS_MAX_TOKENS" in error["message"]
    assert "without credentials" in error["message"]


async def test_limits_anonymous_budget_is_smaller_than_a_credentials_one(
    anonymous: httpx.AsyncClient, api_key: str
) -> None:
    # 28 aliases of 18 tokens: within a caller's 2000 tokens, past the anonymous 500
    fields = "id email firstName lastName phone extension isActive isAdmin"
    aliases = " ".join(f"u{i}: users(first: 1) {{ nodes {{ {fields} }} }}" for i in range(28))
    query = "{ " + aliases + " }"
    only_error(await gql_errors(anonymous, query), "QUERY_TOO_LARGE")
    data = await gql(anonymous, query, headers={"Authorization": f"Bearer {api_key}"})
    assert len(data) == 28


async def test_limits_depth_through_fragments_refused(client: httpx.AsyncClient) -> None:
    # little nesting of brackets, but fields 14 deep once the fragments are expanded
    hops = "\n".join(
        f"fragment H{i} on Contact "
        f"{{ company {{ contacts(first: 1) {{ nodes {{ ...H{i + 1} }} }} }} }}"
        for i in range(4)
    )
    query = (
        "{ contacts(first: 1) { nodes { ...H0 } } }\n" + hops + "\nfragment H4 on Contact { id }"
    )
    error = only_error(await gql_errors(client, query), "QUERY_TOO_DEEP")
    assert "CRM_GRAPHQL_MAX_DEPTH" in error["message"]


async def test_limits_settings_raise_the_limits(tmp_path: Path) -> None:
    app: Any = create_app(make_settings(tmp_path, graphql_max_cost=1_000_000, graphql_max_depth=50))
    query = """
    { contacts(first: 50) { nodes { activities(first: 50) { nodes {
        contact { company { contacts(first: 50) { nodes { id } } } } } } } } }
    """
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        http.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        data = await gql(http, query)
    assert data == {"contacts": {"nodes": []}}


async def test_limits_deepest_allowed_query_runs_without_recursion_error(tmp_path: Path) -> None:
    # the deepest CRM_GRAPHQL_MAX_DEPTH allows (50), each level holding a real record
    app: Any = create_app(make_settings(tmp_path, graphql_max_depth=50))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        http.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        company = await create_company(http, name="Acme")
        await create_contact(http, firstName="Ada", lastName="Lovelace", companyId=company["id"])
        hops = 15  # 3 levels each, under companies and nodes: the name is 48 deep
        query = (
            "{ companies(first: 1) { nodes { "
            + "contacts(first: 1) { nodes { company { " * hops
            + "name"
            + " } } }" * hops
            + " } } }"
        )
        data = await gql(http, query)
    level: Any = data["companies"]["nodes"][0]
    for _ in range(hops):
        level = level["contacts"]["nodes"][0]["company"]
    assert level == {"name": "Acme"}


async def test_limits_timeout_cancels_execution_with_a_code(tmp_path: Path) -> None:
    # A deadline that has passed by the first time execution waits for the database;
    # one pooled connection, so a connection a cancelled query left unusable would show.
    settings = make_settings(tmp_path, graphql_timeout_s=1e-6, db_pool_min=1, db_pool_max=1)
    app: Any = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        http.headers["Authorization"] = f"Bearer {await full_access_key(app)}"
        for _ in range(3):
            errors = await gql_errors(http, "{ contacts { nodes { id company { name } } } }")
            error = only_error(errors, "TIMEOUT")
            assert "CRM_GRAPHQL_TIMEOUT_S" in error["message"]
        # the REST facade runs its own prepared operations, without the GraphQL time limit,
        # on the same pool
        users = await http.get("/ringotel/v1/users")
        assert users.status_code == 200, users.text
        assert (await http.get("/health")).status_code == 200


def test_limits_default_budget_is_the_settings_defaults(tmp_path: Path) -> None:
    # a context without a budget (schema.execute in-process) gets the signed-in defaults
    limits = budgets(make_settings(tmp_path))
    assert limits.signed_in == Budget()
    assert limits.anonymous.max_tokens < limits.signed_in.max_tokens
    assert not limits.anonymous.introspection


def test_limits_every_facade_operation_fits_the_default_budget() -> None:
    # The REST facade runs its prepared documents under these limits (its cost bounded by
    # the page-size cap); sent to /graphql (at the default page size), each would be let
    # through as well.
    for name, text in ((op.name, op.document) for op in OPERATIONS):
        document = parse(text)
        definitions = document.definitions
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        assert check_shape(text, Budget()) is None, name
        assert measure(core_schema(schema), operations, fragments, {}, Budget()) is None, name
