"""What every Ringotel route shares: how it is marked as a hook, its error answers, and
the checks made before it reads its request.

A hook is an ordinary Litestar handler in its noun's module. `hook(...)` in its `opt`
names it in the integration JSON; `Fills` on a field of its request or response
types names the `$variable$` the field carries (a request field with none carries
`$<its name>$`). The integration JSON is generated from these declarations, as the
OpenAPI document is from the same types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, SerializationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from crm.domain.errors import ValidationFailed
from facade import lenient
from facade.openapi import HOOK_ERRORS, error_responses

HOOK = "ringotel_hook"
"""The `opt` key of a route that is a hook of the integration JSON; its value is a `HookOpt`."""


@dataclass(frozen=True, slots=True)
class Fills:
    """The `$variable$` a request field is filled from, or a response field is read into."""

    variable: str


@dataclass(frozen=True, slots=True)
class HookOpt:
    """How a hook appears in the integration JSON, beyond what its handler declares."""

    name: str
    body: type[msgspec.Struct] | None = None
    """The body's fields, for a handler that reads its body as a stream (an upload)."""
    content_type: str = "application/json"


def hook(
    name: str, *, body: type[msgspec.Struct] | None = None, content_type: str = "application/json"
) -> dict[str, Any]:
    """The `opt` that publishes a route as the hook `name`."""
    return {HOOK: HookOpt(name, body, content_type)}


def hook_responses(*, has_body: bool, found: type | None = None) -> dict[int, ResponseSpec]:
    """The errors a hook may answer (413 only with a body), and the 200 of a create that
    found the record (`found`: its type) instead of creating it."""
    responses = error_responses(*(s for s in HOOK_ERRORS if has_body or s != 413))
    if found is not None:
        responses[200] = ResponseSpec(
            found,
            description="The record already existed: its id, nothing created.",
            generate_examples=False,
        )
    return responses


T = TypeVar("T")


def created_or_found(answer: T, created: bool) -> Response[T]:
    """A create's answer: 201 when it created the record, 200 when it found the record
    already there (the `found` of `hook_responses`)."""
    return Response(answer, status_code=201 if created else 200)


def present(values: dict[str, Any]) -> dict[str, Any]:
    """`values` without the absent ones: an input leaves out what was not sent."""
    return {name: value for name, value in values.items() if value is not None}


def read_id(value: str, name: str) -> str:
    """A record id from the path: `$name$` left unfilled is refused by name."""
    return lenient.required(lenient.text(value, name), name)


async def before_hook(request: Request[Any, Any, Any]) -> None:
    """Refuse a query parameter the route reads (each a `QueryParameter`) that was sent
    twice, and parse a JSON body before Litestar reads it into the body type: nested
    deeper than the parser goes (`[[[[...`), it is a 400 saying so, not a 500.

    Other faults of a body (invalid UTF-8, not JSON) are left to Litestar, which answers 400.
    """
    signature = request.route_handler.parsed_fn_signature
    for field in signature.parameters.values():
        query = field.kwarg_definition
        name = query.name if isinstance(query, QueryParameter) else None
        if name and len(request.query_params.getall(name, [])) > 1:
            raise ValidationFailed("was sent more than once", field=name)
    if "data" in signature.parameters:
        try:
            await request.json()
        except RecursionError:
            raise ClientException("the JSON body is nested too deeply") from None
        except SerializationException:
            return None
    return None
