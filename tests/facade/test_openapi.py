"""The OpenAPI document: every route named, tagged and with its parameters and bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx
from litestar.params import QueryParameter

from crm.domain.principal import Scope
from facade.auth.policy import Access, access_rule
from facade.ringotel.integration import body_type
from facade.ringotel.table import ROUTES


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_every_operation_has_an_id_a_tag_and_a_summary(client: httpx.AsyncClient) -> None:
    paths = (await openapi(client))["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), where
            assert operation.get("tags"), where
            assert operation.get("summary"), where


async def test_every_hook_is_documented_with_its_parameters_and_body(
    client: httpx.AsyncClient,
) -> None:
    paths = (await openapi(client))["paths"]
    for route in ROUTES:
        [method] = route.http_methods
        [path] = route.paths
        operation = paths[path.replace(":str}", "}")][method.lower()]
        name = route.operation_id
        assert operation["operationId"] == name
        documented = {p["name"]: p for p in operation.get("parameters", [])}
        signature = route.parsed_fn_signature.parameters
        parameters = [n for n in signature if "{" + n + ":" in path] + [
            f.kwarg_definition.name
            for f in signature.values()
            if isinstance(f.kwarg_definition, QueryParameter) and f.kwarg_definition.name
        ]
        for parameter in parameters:
            assert parameter in documented, (name, parameter)
            assert documented[parameter].get("description"), (name, parameter)
        if body_type(route) is not None:
            assert "requestBody" in operation, name
        assert str(route.status_code) in operation["responses"], name


async def test_docs_ui_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_the_document_describes_the_credentials_it_accepts(
    client: httpx.AsyncClient,
) -> None:
    document = await openapi(client)
    schemes = document["components"]["securitySchemes"]
    assert {(s["type"], s.get("scheme")) for s in schemes.values()} == {
        ("http", "bearer"),
        ("http", "basic"),
        ("oauth2", None),
    }
    flows = schemes["oauth2Token"]["flows"]
    assert flows["authorizationCode"]["tokenUrl"] == "/oauth/token"
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert set(flows["clientCredentials"]["scopes"]) == {str(scope) for scope in Scope}
    assert {name for entry in document["security"] for name in entry} == set(schemes)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def test_suite_open_routes_and_only_they_say_security_is_empty(
    client: httpx.AsyncClient,
) -> None:
    """The document and the access policy agree on which routes need no credentials in a
    header: OpenAPI has no scheme for a credential in the body (the webhook's `api_token`),
    which the body's schema describes instead."""
    for method, path, operation in operations(await openapi(client)):
        is_open = access_rule(path) in (Access.OPEN, Access.IN_BODY)
        assert (operation.get("security") == []) == is_open, (method, path)


async def test_suite_every_error_status_is_documented_with_the_body_it_carries(
    client: httpx.AsyncClient,
) -> None:
    """No Litestar default error schema (`status_code`, `detail`): the bodies are ours."""
    document = await openapi(client)
    error_schema = document["components"]["schemas"]["ErrorBody"]
    assert set(error_schema["required"]) == {"error", "message"}
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            for media in response.get("content", {}).values():
                schema = json.dumps(media["schema"])
                assert "status_code" not in schema, (method, path, status)
            if path.startswith("/ringotel/"):
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (
                    method,
                    path,
                    status,
                )


async def test_suite_statuses_each_route_answers_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await openapi(client))["paths"]
    recording = "/ringotel/v1/activities/{activity_id}/recording"
    expected = {
        ("post", "/ringotel/v1/contacts"): {"200", "201", "400", "403", "422", "429", "503"},
        ("post", "/ringotel/v1/activities"): {"200", "201", "400", "403", "404", "422"},
        ("post", recording): {"201", "400", "403", "404", "413", "422", "429", "503"},
        ("get", recording): {"200", "206", "304", "403", "404", "416", "429", "503"},
        ("post", "/oauth/token"): {"200", "400", "401", "429"},
        ("post", "/oauth/revoke"): {"200", "400", "401", "429"},
        ("get", "/oauth/authorize"): {"200", "303", "400"},
        ("post", "/oauth/authorize"): {"200", "303", "400", "429"},
        ("get", "/ready"): {"200", "503"},
        ("get", "/ringotel/integration.json"): {"200", "400"},
    }
    for (method, path), statuses in expected.items():
        documented = set(paths[path][method]["responses"])
        assert statuses <= documented, (method, path, statuses - documented)
    token = paths["/oauth/token"]["post"]["responses"]["401"]["content"]["application/json"]
    assert token["schema"] == {"$ref": "#/components/schemas/OAuthErrorBody"}


async def test_suite_lenient_fields_accept_any_of_their_types_never_one_of(
    client: httpx.AsyncClient,
) -> None:
    """An integer is both `integer` and `number`: under `oneOf` it would match two and fail."""
    document = await openapi(client)
    for route in ROUTES:
        body = body_type(route)
        if body is None:
            continue
        schema = document["components"]["schemas"][body.__name__]
        for name in body.__struct_fields__:
            field = schema["properties"][name]
            assert "oneOf" not in field, (body.__name__, name)
            types = {alternative["type"] for alternative in field["anyOf"]}
            assert types >= {"string", "number", "null"}, (body.__name__, name)
            assert "boolean" not in types, (body.__name__, name)  # refused with 422


async def test_graphql_is_left_to_its_own_schema(client: httpx.AsyncClient) -> None:
    """`/graphql` is described by `schema.graphql` and introspection, not by OpenAPI."""
    assert not [path for path in (await openapi(client))["paths"] if path.startswith("/graphql")]
