"""The route table and what is derived from it: paths, templates, projections."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import get

from crm.graphql.schema import schema
from facade import lenient
from facade.operations import Operations
from facade.ringotel.controllers import route_handler
from facade.ringotel.hooks import Hook, Input, Output
from facade.ringotel.table import HOOKS

LOOKUP = Hook(
    name="Find",
    method="GET",
    path="/ringotel/v1/things/{thing_id}/find",
    summary="s",
    tag="t",
    inputs=(
        Input("thing_id", lenient.text, "d", where="path", target="id", variable="thing"),
        Input("phone", lenient.phone, "d", where="query", target="phone", required=True),
        Input("limit", lenient.count, "d", where="query", target="first"),
        Input("when", lenient.timestamp, "d", target="input.startedAt"),
    ),
    shape="list",
    result="found",
    outputs=(
        Output("id", variable="thing_id"),
        Output("owner", "owner", fields=(Output("name", variable="owner_name"),)),
        Output("internal"),
    ),
)


def test_hooks_live_under_the_facade_prefix_with_unique_routes_and_names() -> None:
    routes = [(hook.method, hook.path) for hook in HOOKS]
    assert len(set(routes)) == len(routes)
    assert len({hook.name for hook in HOOKS}) == len(HOOKS)
    assert all(hook.path.startswith("/ringotel/v1/") for hook in HOOKS)


def test_request_path_fills_path_and_required_query_placeholders() -> None:
    assert LOOKUP.request_path() == "/ringotel/v1/things/$thing$/find?phone=$phone$"
    assert LOOKUP.litestar_path == "/ringotel/v1/things/{thing_id:str}/find"
    assert LOOKUP.request_body() == {"when": "$when$"}


def test_response_map_mirrors_the_answer_and_leaves_out_unmapped_values() -> None:
    assert LOOKUP.response_map() == {
        "records": [{"id": "$thing_id$", "owner": {"name": "$owner_name$"}}]
    }
    status, body = LOOKUP.respond(
        {"found": [{"id": "1", "owner": {"name": "Ann"}, "internal": 5}, {"id": "2"}]}
    )
    assert status == 200
    assert body == {
        "records": [
            {"id": "1", "owner": {"name": "Ann"}, "internal": 5},
            {"id": "2", "owner": None, "internal": None},
        ]
    }


def test_variables_are_placed_at_their_targets_and_absent_values_left_out() -> None:
    values = LOOKUP.read({"thing_id": "7", "phone": " 15550102030", "limit": "$limit$"})
    assert values == {"thing_id": "7", "phone": "+15550102030"}
    assert LOOKUP.build_variables(values | {"when": lenient.timestamp(0, "when")}) == {
        "id": "7",
        "phone": "+15550102030",
        "input": {"startedAt": "1970-01-01T00:00:00+00:00"},
    }
    assert LOOKUP.request_name("startedAt") == "when"
    assert LOOKUP.request_name("first") == "limit"
    assert LOOKUP.request_name("other") == "other"


def test_a_required_value_left_unfilled_is_refused_by_name() -> None:
    from crm.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        LOOKUP.read({"thing_id": "7", "phone": "$phone$"})
    assert caught.value.field == "phone"


def test_a_path_parameter_without_its_input_is_refused() -> None:
    with pytest.raises(ValueError, match="path parameters"):
        Hook(name="Bad", method="GET", path="/ringotel/v1/x/{x_id}", summary="s", tag="t")


def test_a_ready_made_handler_must_serve_the_tables_path_and_method() -> None:
    @get("/ringotel/v1/elsewhere", operation_id="elsewhere")
    async def elsewhere() -> dict[str, Any]:
        return {}

    hook = Hook(
        name="Misplaced",
        method="GET",
        path="/ringotel/v1/here",
        summary="s",
        tag="t",
        handler=elsewhere,
    )
    with pytest.raises(ValueError, match="the table says GET /ringotel/v1/here"):
        route_handler(hook, Operations(schema, {}))
