"""No value a client can send gets a 500: every input of every generated route, fuzzed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from facade.ringotel.integration import body_type
from facade.ringotel.table import ROUTES

ODD_VALUES: list[Any] = [
    "",
    None,
    "$x$",
    0,
    -1,
    1.5,
    1e308,
    2**63,
    "1e400",
    "NaN",
    "x" * 10_000,
    "nul\u0000byte",
    "💥 ☎",
    True,
    [],
    {"a": 1},
]

GRAPHQL_ROUTES = [r for r in ROUTES if "graphql" in r.parsed_fn_signature.parameters]
"""The routes that read their values leniently and run GraphQL operations."""
NO_ID = "00000000-0000-0000-0000-000000000000"


def _fill_path(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _inputs(route: HTTPRouteHandler) -> list[tuple[str, str]]:
    """Each query parameter and body field the route reads, with where it is sent."""
    inputs = [
        (field.kwarg_definition.name, "query")
        for field in route.parsed_fn_signature.parameters.values()
        if isinstance(field.kwarg_definition, QueryParameter) and field.kwarg_definition.name
    ]
    body = body_type(route)
    return inputs + [(name, "body") for name in (body.__struct_fields__ if body else ())]


def _route(route: HTTPRouteHandler) -> tuple[str, str]:
    [method] = route.http_methods
    [path] = route.paths
    return method, path


@pytest.mark.parametrize("route", GRAPHQL_ROUTES, ids=lambda r: r.handler_name)
async def test_an_odd_value_in_any_input_is_answered_without_a_server_error(
    client: httpx.AsyncClient, route: HTTPRouteHandler
) -> None:
    method, path = _route(route)
    failures: list[str] = []
    for name, where in _inputs(route):
        for value in ODD_VALUES:
            if where == "query" and not isinstance(value, str):
                continue
            request: dict[str, Any] = (
                {"params": {name: value}} if where == "query" else {"json": {name: value}}
            )
            response = await client.request(method, _fill_path(path, NO_ID), **request)
            if response.status_code >= 500:
                failures.append(f"{name}={value!r}: {response.status_code} {response.text}")
            elif response.status_code >= 400:
                body = response.json()
                assert body["error"], body
                assert body["message"], body
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "route", [r for r in GRAPHQL_ROUTES if "{" in _route(r)[1]], ids=lambda r: r.handler_name
)
@pytest.mark.parametrize("value", ["x", "%20", "..", "💥", "9" * 300])
async def test_an_odd_path_id_is_a_404_or_a_named_field(
    client: httpx.AsyncClient, route: HTTPRouteHandler, value: str
) -> None:
    method, path = _route(route)
    response = await client.request(method, _fill_path(path, value), json={})
    assert response.status_code in {404, 422}, response.text
