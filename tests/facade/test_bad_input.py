"""No value a client can send gets a 500: every input of every generated route, fuzzed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from facade.ringotel.hooks import Hook
from facade.ringotel.table import HOOKS

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

GENERATED = [hook for hook in HOOKS if hook.handler is None]
NO_ID = "00000000-0000-0000-0000-000000000000"


def _fill_path(path: str, value: str) -> str:
    return re.sub(r"\{\w+\}", value, path)


@pytest.mark.parametrize("hook", GENERATED, ids=lambda h: h.name)
async def test_an_odd_value_in_any_input_is_answered_without_a_server_error(
    client: httpx.AsyncClient, hook: Hook
) -> None:
    failures: list[str] = []
    for item in hook.inputs:
        if item.where == "path":
            continue
        for value in ODD_VALUES:
            if item.where == "query" and not isinstance(value, str):
                continue
            request: dict[str, Any] = (
                {"params": {item.name: value}}
                if item.where == "query"
                else {"json": {item.name: value}}
            )
            response = await client.request(hook.method, _fill_path(hook.path, NO_ID), **request)
            if response.status_code >= 500:
                failures.append(f"{item.name}={value!r}: {response.status_code} {response.text}")
            elif response.status_code >= 400:
                body = response.json()
                assert body["error"], body
                assert body["message"], body
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("hook", [h for h in GENERATED if "{" in h.path], ids=lambda h: h.name)
@pytest.mark.parametrize("value", ["x", "%20", "..", "💥", "9" * 300])
async def test_an_odd_path_id_is_a_404_or_a_named_field(
    client: httpx.AsyncClient, hook: Hook, value: str
) -> None:
    response = await client.request(hook.method, _fill_path(hook.path, value), json={})
    assert response.status_code in {404, 422}, response.text
