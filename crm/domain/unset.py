"""`UNSET`: "leave this field as it is", distinct from `None` ("clear it")."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any, Literal, TypeAlias, TypeGuard, TypeVar, Union

T = TypeVar("T")


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


def given_fields(data: Any) -> list[str]:
    """The names of the fields of the dataclass `data` that are set, in declaration order.

    An update writes the columns of the fields it was given and no other, so that
    another update of other fields at the same time keeps its changes.
    """
    return [field.name for field in fields(data) if is_set(getattr(data, field.name))]
