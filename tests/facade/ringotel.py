"""Plays the Ringotel server in tests: reads the integration JSON and calls its hooks.

What Ringotel does, as its framework describes it: fill `$variable$` placeholders
into a hook's path and body (a placeholder it has no value for stays as it is),
send the request with the document's authentication, and read values out of
the JSON answer through the hook's `response_map`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

_PLACEHOLDER = re.compile(r"\$([^$]+)\$")


@dataclass
class Answer:
    """One hook's answer: the HTTP response, and what the response_map read from it."""

    response: httpx.Response
    values: dict[str, Any] = field(default_factory=dict)
    """Variables read from the top level of the answer."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """Variables read from each record of a list answer."""


def read_map(template: Any, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Ringotel's response_map semantics: `$var$` reads the value at its place; an array
    holding one object reads a list of records shaped like it; objects are paths."""
    values: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    if isinstance(template, str):
        match = _PLACEHOLDER.fullmatch(template)
        if match:
            values[match.group(1)] = body
        return values, records
    if isinstance(template, list):
        assert len(template) == 1, "a list in a response_map holds one record template"
        for item in body if isinstance(body, list) else []:
            record, _ = read_map(template[0], item)
            records.append(record)
        return values, records
    if isinstance(template, dict):
        for key, inner in template.items():
            found = body.get(key) if isinstance(body, dict) else None
            inner_values, inner_records = read_map(inner, found)
            values.update(inner_values)
            records += inner_records
    return values, records


def fill(template: Any, variables: dict[str, Any]) -> Any:
    """Substitute the known variables into a template; unknown placeholders stay as they are.

    A value that is a whole placeholder takes the variable as it is (a number stays a
    number); a placeholder inside text is replaced by the variable's text, raw, as
    Ringotel does (so a `+` in a query string arrives as a space).
    """
    if isinstance(template, dict):
        return {key: fill(value, variables) for key, value in template.items()}
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return _PLACEHOLDER.sub(
            lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0),
            template,
        )
    return template


class Ringotel:
    """A Ringotel server configured with one integration JSON and an admin's form values."""

    def __init__(
        self, http: httpx.AsyncClient, document: dict[str, Any], properties: dict[str, str]
    ) -> None:
        self.http = http
        self.document = document
        self.properties = properties
        self.variables: dict[str, Any] = {}
        """Values carried from one hook to the next (`$contact_id$`, `$activity_id$`, ...)."""

    def headers(self) -> dict[str, str]:
        """The Authorization header the document's authentication block asks for."""
        if "auth" in self.document:
            auth = fill(self.document["auth"], self.properties)
            if auth["type"] == "Bearer":
                return {"Authorization": f"Bearer {auth['token']}"}
            assert auth["type"] == "Basic", auth
            pair = f"{auth['username']}:{auth['password']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        oauth = self.document["OAuth2"]
        assert oauth["request_auth"] == "Bearer"
        return {"Authorization": f"Bearer {self.properties['access_token']}"}

    async def call(
        self, hook: str, files: dict[str, tuple[str, bytes, str]] | None = None, **values: Any
    ) -> Answer:
        """Send `hook` with the carried variables plus `values`; read the answer through its map."""
        spec = self.document["API"][hook]
        variables = {**self.variables, **values}
        # The path is a template on the CRM's base URL; only its placeholders are filled.
        path = fill(spec["request_path"], variables)
        url = self.document["url"] + path
        request: dict[str, Any] = {"headers": self.headers()}
        body = fill(spec.get("request_body"), variables) if "request_body" in spec else None
        if spec.get("content_type", "application/json").startswith("multipart/form-data"):
            assert files is not None, f"{hook} uploads a file"
            request["files"] = files
        elif body is not None:
            request["content"] = json.dumps(body)
            request["headers"]["Content-Type"] = "application/json"
        response = await self.http.request(spec["request_method"], url, **request)
        answer = Answer(response)
        if response.headers.get("content-type", "").startswith("application/json"):
            answer.values, answer.records = read_map(spec["response_map"], response.json())
        return answer
