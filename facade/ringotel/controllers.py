"""Litestar route handlers generated from the route table.

Each handler's signature is built from the hook's inputs, so Litestar parses and
documents exactly the parameters and body fields the integration JSON names.
Body fields accept any JSON scalar: the lenient readers, not the schema, decide
what a value means.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.datastructures import State
from litestar.exceptions import ClientException, SerializationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, Parameter, QueryParameter

from crm.domain.errors import DomainError, ValidationFailed
from crm.domain.principal import Principal, Scope
from crm.graphql.context import new_context
from facade.graphql import request_principal
from facade.openapi import HOOK_ERRORS, error_responses, lenient_schema
from facade.operations import Operations
from facade.ringotel.hooks import Hook, Output

Scalar = str | int | float | bool | None
"""What a body field may hold: any JSON scalar, read leniently afterwards."""


ERROR_RESPONSES = error_responses(*HOOK_ERRORS)


def hook_handlers(hooks: Sequence[Hook], operations: Operations) -> list[HTTPRouteHandler]:
    """One route handler per hook, running its operation from `operations`."""
    return [route_handler(hook, operations) for hook in hooks]


def route_handler(hook: Hook, operations: Operations) -> HTTPRouteHandler:
    """The handler for `hook`: its own hand-written one, or the generic GraphQL-backed one."""
    if isinstance(hook.handler, HTTPRouteHandler):
        return _checked(hook, hook.handler)
    if hook.handler is not None:
        endpoint = hook.handler
    else:
        for name in (hook.operation, hook.prefetch):
            if name is not None and name not in operations:
                raise ValueError(f"{hook.name}: no operation {name!r}")
        if hook.operation is None:
            raise ValueError(f"{hook.name}: neither an operation nor a handler")
        endpoint = _generic_endpoint(hook, operations)
    has_body = hook.handler is None and any(i.where == "body" for i in hook.inputs)
    return HTTPRouteHandler(
        before_request=read_json_body if has_body else None,
        path=hook.litestar_path,
        http_method=hook.method,
        status_code=hook.status,
        operation_id=hook.name,
        tags=[hook.tag],
        summary=hook.summary,
        description=_description(hook),
        responses=_responses(hook),
    )(endpoint)


async def read_json_body(request: Request[Any, Any, Any]) -> None:
    """Parse the JSON body before Litestar reads it into the handler's fields, so that a
    body nested deeper than the parser goes (`[[[[...`) is a 400 saying so, not a 500.

    Other faults (invalid UTF-8, not JSON) are left to Litestar, which answers them 400.
    """
    try:
        await request.json()
    except RecursionError:
        raise ClientException("the JSON body is nested too deeply") from None
    except SerializationException:
        return None
    return None


def _responses(hook: Hook) -> dict[int, ResponseSpec]:
    """The errors every hook may answer, and the 200 of a create that found the record."""
    responses = dict(ERROR_RESPONSES)
    if not any(i.where == "body" for i in hook.inputs):
        del responses[413]  # no body, nothing too large
    if hook.created is not None:
        responses[200] = ResponseSpec(
            _response_type(hook),
            description="The record already existed: its id, nothing created.",
            generate_examples=False,
        )
    return responses


def hook_principal(principal: Principal | None) -> Principal | None:
    """The caller as a hook's operation sees it: the `ringotel` scope its route required
    stands for the reads and writes of the facade's fixed operations, so a credential made
    for Ringotel alone (`--scope ringotel`) runs every hook and no other GraphQL."""
    if principal is None or not principal.has(Scope.RINGOTEL):
        return principal
    return replace(principal, scopes=principal.scopes | {Scope.READ.value, Scope.WRITE.value})


def refuse_repeated_query(request: Request[Any, Any, Any], names: Iterable[str]) -> None:
    """A parameter sent twice (`?limit=5&limit=50`) is refused: which one was meant?"""
    for name in names:
        if len(request.query_params.getall(name, [])) > 1:
            raise ValidationFailed("was sent more than once", field=name)


def _checked(hook: Hook, handler: HTTPRouteHandler) -> HTTPRouteHandler:
    """A ready-made handler, once its path and method are proven to be the table's."""
    if hook.litestar_path not in handler.paths or hook.method not in handler.http_methods:
        raise ValueError(
            f"{hook.name}: the handler serves {sorted(handler.http_methods)} "
            f"{sorted(handler.paths)}, the table says {hook.method} {hook.litestar_path}"
        )
    return handler


def _generic_endpoint(hook: Hook, operations: Operations) -> Any:
    operation = hook.operation
    assert operation is not None
    query_names = {f"q_{i.name}": i.name for i in hook.inputs if i.where == "query"}
    path_names = [i.name for i in hook.inputs if i.where == "path"]
    has_body = any(i.where == "body" for i in hook.inputs)

    async def endpoint(request: Request[Any, Any, Any], state: State, **params: Any) -> Any:
        refuse_repeated_query(request, query_names.values())
        raw: dict[str, Any] = {name: params[name] for name in path_names}
        raw.update({name: params.get(key) for key, name in query_names.items()})
        if has_body and params.get("data") is not None:
            raw.update(msgspec.structs.asdict(params["data"]))
        variables: dict[str, Any] = {}
        try:
            values = hook.read(raw)
            context = new_context(state.services, hook_principal(request_principal(request)))
            prefetched = None
            if hook.prefetch is not None:
                prefetched = await operations.run(
                    hook.prefetch, hook.build_variables(values), context
                )
            variables = hook.build_variables(values, prefetched)
            data = await operations.run(operation, variables, context)
        except DomainError as exc:
            exc.field = hook.request_name(exc.field, variables)
            raise
        status, body = hook.respond(data)
        return Response(body, status_code=status)

    endpoint.__name__ = f"ringotel_{hook.name}"
    endpoint.__doc__ = hook.summary
    _set_signature(endpoint, hook)
    return endpoint


def _set_signature(endpoint: Any, hook: Hook) -> None:
    """Give `endpoint` the parameters of `hook`, so Litestar parses and documents them."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", keyword, annotation=Request[Any, Any, Any]),
        inspect.Parameter("state", keyword, annotation=State),
    ]
    for item in hook.inputs:
        if item.where == "path":
            annotation: Any = Annotated[str, Parameter(description=item.description)]
            params.append(inspect.Parameter(item.name, keyword, annotation=annotation))
        elif item.where == "query":
            annotation = Annotated[
                str | None,
                QueryParameter(
                    name=item.name, description=item.description, required=item.required
                ),
            ]
            params.append(
                inspect.Parameter(f"q_{item.name}", keyword, annotation=annotation, default=None)
            )
    body_fields = [i for i in hook.inputs if i.where == "body"]
    if body_fields:
        body_type = msgspec.defstruct(
            f"{hook.name}Request",
            [
                (i.name, Annotated[Scalar, lenient_schema(i.read, i.description)], None)
                for i in body_fields
            ],
        )
        annotation = Annotated[
            body_type | None, Body(description=f"Fields Ringotel fills in for {hook.name}.")
        ]
        params.append(inspect.Parameter("data", keyword, annotation=annotation, default=None))
    generic: Any = Response  # parametrized at run time with a type built at run time
    returns = generic[_response_type(hook)]
    endpoint.__signature__ = inspect.Signature(params, return_annotation=returns)
    endpoint.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}


def _response_type(hook: Hook) -> Any:
    """A schema of the hook's answer for the OpenAPI document."""
    record = _struct(
        f"{hook.name}Record" if hook.shape != "one" else f"{hook.name}Response", hook.outputs
    )
    if hook.shape == "one":
        return record
    fields: list[tuple[str, Any, Any]] = [("records", list[record], msgspec.field())]  # type: ignore[valid-type]
    if hook.shape == "page":
        fields.append(
            (
                "next_cursor",
                Annotated[
                    str | None,
                    msgspec.Meta(
                        description="Pass as `cursor` for the next page; null on the last."
                    ),
                ],
                None,
            )
        )
    return msgspec.defstruct(f"{hook.name}Response", fields)


def _struct(name: str, outputs: tuple[Output, ...]) -> Any:
    fields: list[tuple[str, Any, Any]] = []
    for out in outputs:
        if out.fields:
            inner = _struct(f"{name}{out.key.title()}", out.fields)
            fields.append((out.key, inner | None, None))
        else:
            meta = msgspec.Meta(
                description=f"Read into `${out.variable}$`." if out.variable else ""
            )
            fields.append((out.key, Annotated[Any, meta], None))
    return msgspec.defstruct(name, fields)


def _description(hook: Hook) -> str:
    lines = [hook.summary]
    if hook.published:
        lines.append(f"Ringotel hook `{hook.name}`.")
    return "\n\n".join(lines)
