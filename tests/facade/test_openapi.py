"""The OpenAPI document: every route named, tagged and with its parameters and bodies."""

from __future__ import annotations

from typing import Any

import httpx

from facade.ringotel.table import HOOKS


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_every_operation_has_an_id_a_tag_and_a_summary(client: httpx.AsyncClient) -> None:
    paths = (await openapi(client))["paths"]
    for path, item in paths.items():
        if path.startswith("/graphql"):
            continue  # Strawberry's own controller
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
    for hook in HOOKS:
        operation = paths[hook.path][hook.method.lower()]
        generated = hook.handler is None
        if generated:
            assert operation["operationId"] == hook.name
        documented = {p["name"]: p for p in operation.get("parameters", [])}
        for item in hook.inputs:
            if item.where in {"path", "query"}:
                assert item.name in documented, (hook.name, item.name)
                if generated:
                    assert documented[item.name].get("description"), (hook.name, item.name)
        if generated and hook.request_body() is not None:
            assert "requestBody" in operation, hook.name
        assert str(hook.status) in operation["responses"], hook.name


async def test_docs_ui_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_the_document_describes_the_credentials_it_accepts(
    client: httpx.AsyncClient,
) -> None:
    document = await openapi(client)
    schemes = document["components"]["securitySchemes"]
    assert {(s["type"], s["scheme"]) for s in schemes.values()} == {
        ("http", "bearer"),
        ("http", "basic"),
    }
    assert {name for entry in document["security"] for name in entry} == set(schemes)
