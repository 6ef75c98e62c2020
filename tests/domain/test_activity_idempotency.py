"""The activity service itself, called concurrently on the app's engine (a connection
pool on PostgreSQL): one call_id, however many racing creates, is one row."""

from __future__ import annotations

import asyncio

import httpx
from litestar import Litestar

from crm.domain.activities import ActivityInput
from crm.domain.services import Services
from crm.tables import Activity


async def test_racing_service_creates_of_one_call_make_one_row_and_merge_every_field(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    services: Services = app.state.services
    inputs = [
        ActivityInput(call_id="race", direction="outbound", subject="Quote"),
        ActivityInput(call_id="race", direction="outbound", comment="call back Friday"),
        ActivityInput(call_id="race", direction="outbound", from_number="101"),
        ActivityInput(call_id="race", direction="outbound", to_number="+12125550147"),
    ] * 12
    results = await asyncio.gather(*(services.activities.create(data) for data in inputs))
    assert await Activity.count() == 1
    assert [created for _, created in results].count(True) == 1
    assert len({row.id for row, _ in results}) == 1
    row = await Activity.objects().first()
    assert row is not None
    # Every field some create carried ends up on the one row, whichever won the race.
    assert (row.subject, row.comment, row.from_number, row.to_number) == (
        "Quote",
        "call back Friday",
        "101",
        "+12125550147",
    )
