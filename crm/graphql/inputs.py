"""Turning GraphQL input into domain input: Strawberry's UNSET becomes the domain's."""

from __future__ import annotations

from typing import Any, TypeVar

from strawberry.types.unset import UnsetType

from crm.domain.unset import UNSET, Maybe

T = TypeVar("T")


def maybe(value: T | UnsetType) -> Maybe[T]:
    """A field the client left out stays unset; `null` stays `None`."""
    if isinstance(value, UnsetType):
        return UNSET
    return value


def fields_of(data: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The given fields of a Strawberry input, for a domain input dataclass."""
    return {name: maybe(getattr(data, name)) for name in names}
