"""How a Ringotel hook is declared: one description per route, read by both generators.

A `Hook` says where the route lives, what it reads from the request (each value
through a lenient reader), which GraphQL operation it runs with which variables,
and how the result is projected into the contract's shape. The Litestar handler
and the hook's entry in the integration JSON (`request_path`, `request_body`,
`response_map`) are both derived from it, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from crm.domain.errors import ValidationFailed

Reader = Callable[[Any, str], Any]
"""A lenient reader (`facade.lenient`): raw value and field name to a clean value or `None`."""
Location = Literal["path", "query", "body"]
Shape = Literal["one", "page", "list"]

_PATH_PARAM = re.compile(r"\{(\w+)\}")
NEXT_CURSOR = "next_cursor"


@dataclass(frozen=True, slots=True)
class Input:
    """One value the route reads: a path or query parameter, or a body field."""

    name: str
    """Its name in the request, and (unless `variable` says otherwise) Ringotel's `$name$`."""
    read: Reader
    description: str
    where: Location = "body"
    target: str | None = None
    """The GraphQL variable it feeds, as a dotted path (`input.firstName`); `None` when the
    hook's own `variables` function places it."""
    variable: str | None = None
    """The `$variable$` Ringotel fills in, when it is not `name`."""
    required: bool = False

    @property
    def placeholder(self) -> str:
        return f"${self.variable or self.name}$"


@dataclass(frozen=True, slots=True)
class Output:
    """One value of the response: where it comes from and which `$variable$` it fills."""

    key: str
    get: str | Callable[[Mapping[str, Any]], Any] = ""
    """A dotted path in the GraphQL node (default: `key`), or a function of the node."""
    variable: str | None = None
    """The `$variable$` the response_map reads it into."""
    fields: tuple[Output, ...] = ()
    """The members of a nested object (`"company": {"name": "$company_name$"}`)."""

    def value(self, node: Mapping[str, Any]) -> Any:
        """This output's value for one GraphQL node."""
        if self.fields:
            inner = dig(node, self.get) if isinstance(self.get, str) and self.get else node
            if inner is None:
                return None
            return {out.key: out.value(inner) for out in self.fields}
        if callable(self.get):
            return self.get(node)
        return dig(node, self.get or self.key)

    def template(self) -> Any:
        """This output in a response_map: a `$variable$`, or a nested template."""
        if self.fields:
            return {out.key: out.template() for out in self.fields if out.mapped}
        return f"${self.variable}$"

    @property
    def mapped(self) -> bool:
        return self.variable is not None or any(out.mapped for out in self.fields)


@dataclass(frozen=True, slots=True)
class Hook:
    """One route of the facade, and (when `published`) one hook of the integration JSON."""

    name: str
    """The hook name in the integration JSON; also the route's OpenAPI operation id."""
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    """The route, with path parameters as `{name}` (each one an `Input` with `where="path"`)."""
    summary: str
    tag: str
    operation: str | None = None
    """The GraphQL operation it runs (a file in `facade/operations/`)."""
    inputs: tuple[Input, ...] = ()
    result: str = ""
    """Dotted path in the operation's data to the node, page (connection) or list."""
    shape: Shape = "one"
    """`one` node, a `page` (connection: `records` and `next_cursor`), or a whole `list`."""
    outputs: tuple[Output, ...] = ()
    """The response (shape `one`) or each record (`page`, `list`)."""
    record: str = ""
    """Dotted path in each listed node to the record it stands for (a match's `contact`);
    nodes without one are left out, and a record already listed is not listed again."""
    annotations: tuple[Output, ...] = ()
    """Values of each listed node itself, beside its `record`'s (why a match matched)."""
    expand: Callable[[list[Mapping[str, Any]]], list[Mapping[str, Any]]] | None = None
    """Rewrites the listed nodes before they become records (a main line into its staff)."""
    status: int = 200
    created: str | None = None
    """Dotted path in the data to a Boolean: true answers `status`, false (found) answers 200."""
    variables: Callable[[dict[str, Any], Mapping[str, Any] | None], dict[str, Any]] | None = None
    """Builds variables from the read inputs (and the `prefetch` data), beyond the targets."""
    prefetch: str | None = None
    """An operation run first, with the same variables, whose data `variables` merges with
    (an update that changes one of several numbers must know the others)."""
    error_field: Callable[[str, dict[str, Any]], str | None] | None = None
    """Names the request field behind a GraphQL field an error names, given the variables
    sent, where the targets alone cannot tell (`phones.1.number`)."""
    content_type: str = "application/json"
    handler: Callable[..., Any] | None = None
    """A hand-written handler (a streamed upload or download) to use instead of the generic one."""
    published: bool = True
    """Whether the hook appears in the integration JSON (a download is for people, not Ringotel)."""

    def __post_init__(self) -> None:
        names = {i.name for i in self.inputs if i.where == "path"}
        in_path = set(_PATH_PARAM.findall(self.path))
        if names != in_path:
            raise ValueError(f"{self.name}: path parameters {in_path} but path inputs {names}")

    # -- what the integration JSON says ------------------------------------------------------

    def request_path(self) -> str:
        """The path with Ringotel's placeholders; required query values are part of it."""
        by_name = {i.name: i for i in self.inputs}
        path = _PATH_PARAM.sub(lambda m: by_name[m.group(1)].placeholder, self.path)
        query = [i for i in self.inputs if i.where == "query" and i.required]
        if query:
            path += "?" + "&".join(f"{i.name}={i.placeholder}" for i in query)
        return path

    def request_body(self) -> dict[str, str] | None:
        """The body template: each body field with its `$variable$`."""
        body = {i.name: i.placeholder for i in self.inputs if i.where == "body"}
        return body or None

    def response_map(self) -> dict[str, Any]:
        """The response template Ringotel reads values out of."""
        record = {out.key: out.template() for out in self.outputs + self.annotations if out.mapped}
        if self.shape == "one":
            return record
        template: dict[str, Any] = {"records": [record]}
        if self.shape == "page":
            template[NEXT_CURSOR] = f"${NEXT_CURSOR}$"
        return template

    # -- what the route does -------------------------------------------------------------------

    @property
    def litestar_path(self) -> str:
        return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + ":str}", self.path)

    def read(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Each input read leniently from the raw request values; absent ones are left out."""
        values: dict[str, Any] = {}
        for item in self.inputs:
            value = item.read(raw.get(item.name), item.name)
            if value is None:
                if item.required:
                    raise ValidationFailed("is required", field=item.name)
                continue
            values[item.name] = value
        return values

    def build_variables(
        self, values: dict[str, Any], prefetched: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The operation's variables: each value at its target, then the hook's own placing."""
        variables: dict[str, Any] = {}
        for item in self.inputs:
            if item.target is not None and item.name in values:
                place(variables, item.target, as_variable(values[item.name]))
        if self.variables is not None:
            for key, value in self.variables(values, prefetched).items():
                existing = variables.get(key)
                if isinstance(existing, dict) and isinstance(value, dict):
                    existing.update(value)
                else:
                    variables[key] = value
        return variables

    def request_name(
        self, graphql_field: str | None, variables: dict[str, Any] | None = None
    ) -> str | None:
        """The name a client sent for the field a GraphQL error names."""
        if graphql_field is None:
            return None
        if self.error_field is not None:
            named = self.error_field(graphql_field, variables or {})
            if named is not None:
                return named
        for item in self.inputs:
            if item.target is not None and item.target.rsplit(".", 1)[-1] == graphql_field:
                return item.name
        return graphql_field

    def respond(self, data: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and body for the operation's data."""
        found: Any = dig(data, self.result) if self.result else data
        if self.shape == "page":
            page = found or {}
            records = self.records(page.get("nodes", []))
            cursor = (page.get("pageInfo") or {}).get("endCursor")
            has_next = (page.get("pageInfo") or {}).get("hasNextPage")
            return 200, {"records": records, NEXT_CURSOR: cursor if has_next else None}
        if self.shape == "list":
            nodes = list(found or [])
            return 200, {"records": self.records(self.expand(nodes) if self.expand else nodes)}
        status = self.status
        if self.created is not None and dig(data, self.created) is False:
            status = 200
        return status, self.project(found or {})

    def records(self, nodes: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Each node's record, projected, in order, each record once."""
        seen: set[Any] = set()
        records: list[dict[str, Any]] = []
        for node in nodes:
            record = dig(node, self.record) if self.record else node
            if not isinstance(record, Mapping):
                continue
            key = record.get("id")
            if key is not None and key in seen:
                continue
            seen.add(key)
            projected = self.project(record)
            projected.update({out.key: out.value(node) for out in self.annotations})
            records.append(projected)
        return records

    def project(self, node: Mapping[str, Any]) -> dict[str, Any]:
        return {out.key: out.value(node) for out in self.outputs}


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path, or `None` where the path runs out."""
    for part in path.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def place(target: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at a dotted path, creating the objects on the way."""
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def as_variable(value: Any) -> Any:
    """A read value in the form GraphQL variables take (a time as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value
