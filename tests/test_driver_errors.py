"""A write either engine refuses becomes the domain error it means, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar

from crm.domain.errors import Conflict, NotFound, ValidationFailed
from crm.domain.validation import now
from crm.queries.driver_errors import domain_error_of, driver_errors_translated
from crm.tables import PhoneNumber, TokenRevocation, User


async def test_a_unique_violation_is_a_conflict(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    later = now() + timedelta(hours=1)
    await TokenRevocation(token_id="same", expires_at=later).save()
    with pytest.raises(Conflict), driver_errors_translated():
        await TokenRevocation(token_id="same", expires_at=later).save()


async def test_a_not_null_violation_names_the_column(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    with pytest.raises(ValidationFailed) as refused, driver_errors_translated():
        await User.insert(User(email=None, password_hash="x"))
    assert refused.value.field == "email"


async def test_a_foreign_key_violation_is_not_found(
    app: Litestar, anonymous: httpx.AsyncClient
) -> None:
    row = PhoneNumber(
        contact=uuid.uuid4(), kind="work", number="1", national="1", suffix="1", position=0
    )
    with pytest.raises(NotFound), driver_errors_translated():
        await PhoneNumber.insert(row)


def test_other_errors_pass_through() -> None:
    assert domain_error_of(RuntimeError("boom")) is None
    with pytest.raises(RuntimeError), driver_errors_translated():
        raise RuntimeError("boom")
