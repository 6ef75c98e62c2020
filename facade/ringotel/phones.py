"""Phone numbers between Ringotel's two fields (`phone`, `mobile`) and the CRM's kinded list."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

MOBILE = "MOBILE"
LANDLINE_KINDS = ("WORK", "MAIN", "HOME", "OTHER")
"""Kinds that may stand as a record's `phone`, best first (a fax never does)."""


def first_number(*kinds: str) -> Callable[[Mapping[str, Any]], str | None]:
    """The first number of the best kind present, in E.164 when known."""

    def pick(node: Mapping[str, Any]) -> str | None:
        phones: Sequence[Mapping[str, Any]] = node.get("phones") or []
        for kind in kinds:
            for phone in phones:
                if phone.get("kind") == kind:
                    return phone.get("e164") or phone.get("number")
        return None

    return pick


def phone_inputs(
    values: Mapping[str, Any], current: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, str]] | None:
    """The `phones` input for a `phone` and a `mobile`; `None` when neither was sent.

    With the contact's `current` numbers (an update), the numbers of the other kinds
    stay: a new `phone` replaces the landlines, a new `mobile` the mobile ones.
    """
    given = [
        (name, kind) for name, kind in (("phone", "WORK"), ("mobile", MOBILE)) if name in values
    ]
    if not given:
        return None
    replaced = {MOBILE} if "mobile" in values else set()
    if "phone" in values:
        replaced |= set(LANDLINE_KINDS)
    kept = [
        {"number": str(p["number"]), "kind": str(p["kind"])}
        for p in current or []
        if p.get("kind") not in replaced
    ]
    return [{"number": values[name], "kind": kind} for name, kind in given] + kept


def phone_field(graphql_field: str, variables: Mapping[str, Any]) -> str | None:
    """`phones.N.number` names `mobile` or `phone`, by the kind sent at position N."""
    parts = graphql_field.split(".")
    if len(parts) < 2 or parts[0] != "phones" or not parts[1].isdigit():
        return "phone" if graphql_field == "phones" else None
    sent = (variables.get("input") or {}).get("phones") or []
    position = int(parts[1])
    if position < len(sent) and sent[position].get("kind") == MOBILE:
        return "mobile"
    return "phone"
