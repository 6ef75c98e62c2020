"""The route table and what is derived from the routes' declarations: paths, templates,
reading, error names."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import Parameter, QueryParameter

from crm.domain.errors import ValidationFailed
from facade import lenient
from facade.ringotel.client import HookClient
from facade.ringotel.field_names import ringotel_name
from facade.ringotel.hooks import HOOK, Fills, hook
from facade.ringotel.integration import hook_entries, hook_entry
from facade.ringotel.table import ROUTES


class Owner(msgspec.Struct):
    name: Annotated[str | None, Fills("owner_name")]


class Thing(msgspec.Struct):
    id: Annotated[str, Fills("thing_id")]
    owner: Owner | None
    internal: int | None


class Things(msgspec.Struct):
    records: list[Thing]


class FindBody(lenient.LenientBody):
    when: lenient.Timestamp = None
    code: Annotated[lenient.Text, lenient.REQUIRED] = None


@post("/ringotel/v1/things/{thing_id:str}/find", opt=hook("Find"))
async def find(
    graphql: HookClient,
    thing_id: Annotated[str, Parameter(description="d"), Fills("thing")],
    phone: Annotated[str | None, QueryParameter(name="phone", required=True)] = None,
    limit: Annotated[str | None, QueryParameter(name="limit")] = None,
    data: FindBody | None = None,
) -> Things:
    raise NotImplementedError


def test_hooks_live_under_the_facade_prefix_with_unique_routes_and_names() -> None:
    routes = [
        (method, path) for route in ROUTES for method in route.http_methods for path in route.paths
    ]
    assert len(set(routes)) == len(routes)
    names = [route.opt[HOOK].name for route in ROUTES if HOOK in route.opt]
    assert len(set(names)) == len(names)
    assert all(path.startswith("/ringotel/v1/") for _, path in routes)


def test_request_path_fills_path_and_required_query_placeholders() -> None:
    entry = hook_entry(find)
    assert entry["request_method"] == "POST"
    assert entry["request_path"] == "/ringotel/v1/things/$thing$/find?phone=$phone$"
    assert entry["request_body"] == {"when": "$when$", "code": "$code$"}


def test_response_map_mirrors_the_answer_and_leaves_out_unmapped_values() -> None:
    assert hook_entry(find)["response_map"] == {
        "records": [{"id": "$thing_id$", "owner": {"name": "$owner_name$"}}]
    }
    answer = Things([Thing("1", Owner("Ann"), 5), Thing("2", None, None)])
    assert msgspec.to_builtins(answer) == {
        "records": [
            {"id": "1", "owner": {"name": "Ann"}, "internal": 5},
            {"id": "2", "owner": None, "internal": None},
        ]
    }


def test_a_body_is_read_by_its_fields_types_and_absent_values_left_out() -> None:
    body = msgspec.convert({"when": 0, "code": " 7 ", "extra": 1}, FindBody)
    assert (body.when, body.code) == ("1970-01-01T00:00:00+00:00", "7")
    assert msgspec.convert({"when": "$when$", "code": 7}, FindBody).when is None
    assert ringotel_name("startedAt", {}, None) == "call_start"
    assert ringotel_name("first", {}, None) == "limit"
    assert ringotel_name("other", {}, None) == "other"


def test_a_required_value_left_unfilled_is_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as caught:
        msgspec.convert({"code": "$code$"}, FindBody)
    assert caught.value.field == "code"
    with pytest.raises(ValidationFailed) as caught:
        lenient.required(lenient.phone("$phone$", "phone"), "phone")
    assert caught.value.field == "phone"


def test_a_path_parameter_the_handler_does_not_read_is_refused() -> None:
    @get("/ringotel/v1/x/{x_id:str}", opt=hook("Bad"))
    async def bad() -> Things:
        raise NotImplementedError

    Litestar([bad])  # parses the handler's signature, as the app does
    with pytest.raises(ValueError, match="reads no x_id"):
        hook_entries([bad])


def test_each_hook_entry_is_its_routes_method_and_path() -> None:
    for route in ROUTES:
        if HOOK not in route.opt:
            continue
        entry = hook_entry(route)
        [path] = route.paths
        assert entry["request_method"] in route.http_methods
        assert entry["request_path"].split("?")[0].split("$")[0] == path.split("{")[0]
