"""`UNSET`: "leave this field as it is", distinct from `None` ("clear it")."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Literal, TypeAlias, TypeGuard, TypeVar, Union

T = TypeVar("T")
V = TypeVar("V")


class _Unset(Enum):
    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset.UNSET
Maybe: TypeAlias = Union[T, Literal[_Unset.UNSET]]  # noqa: UP007 (a generic alias needs Union)
"""A field that may be left unset on an update."""


def is_set(value: T | Literal[_Unset.UNSET]) -> TypeGuard[T]:
    """Whether the client gave this field (possibly as `None`)."""
    return value is not UNSET


def given(data: object, targets: Mapping[str, V]) -> list[V]:
    """The targets of the fields of `data` that are set, each once, in the mapping's order.

    An update writes the columns of the fields it was given and no other, so that
    another update of other fields at the same time keeps its changes.
    """
    found: list[V] = []
    for name, target in targets.items():
        # By identity: columns overload `==` to build a query condition.
        if is_set(getattr(data, name)) and all(target is not seen for seen in found):
            found.append(target)
    return found
