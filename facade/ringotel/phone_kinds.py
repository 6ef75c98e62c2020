"""Ringotel's two number fields (`phone`, `mobile`) and the CRM's numbers of each kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MOBILE = "MOBILE"
LANDLINE_KINDS = ("WORK", "MAIN", "HOME", "OTHER")
"""Kinds that may stand as a record's `phone`, best first (a fax never does)."""


def first_number(phones: Sequence[Mapping[str, Any]] | None, *kinds: str) -> str | None:
    """The first number of the best kind present, in E.164 when known."""
    for kind in kinds:
        for number in phones or ():
            if number.get("kind") == kind:
                found = number.get("e164") or number.get("number")
                return None if found is None else str(found)
    return None


def phone_inputs(
    phone: object, mobile: object, current: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]] | None:
    """The `phones` input for a `phone` and a `mobile` (`None`: not sent); `None` when
    neither was sent.

    With the contact's `current` numbers (an update), the numbers of the other kinds
    stay: a new `phone` replaces the landlines, a new `mobile` the mobile ones.
    """
    sent = [
        (number, kind) for number, kind in ((phone, "WORK"), (mobile, MOBILE)) if number is not None
    ]
    if not sent:
        return None
    replaced = {MOBILE} if mobile is not None else set()
    if phone is not None:
        replaced |= set(LANDLINE_KINDS)
    kept = [
        {"number": str(p["number"]), "kind": str(p["kind"])}
        for p in current or []
        if p.get("kind") not in replaced
    ]
    return [{"number": number, "kind": kind} for number, kind in sent] + kept
