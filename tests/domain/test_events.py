"""The in-process bus: every subscriber hears each event, and a slow one is dropped
instead of slowing the publisher."""

from __future__ import annotations

import uuid

import pytest

from crm.domain.events import CallEvent, CallEventType, InProcessBus, SubscriberTooSlow, call_event


def event(kind: CallEventType = CallEventType.STARTED) -> CallEvent:
    return call_event(kind, uuid.uuid4(), None)


def test_an_event_reads_back_from_its_payload_which_stays_small() -> None:
    sent = call_event(CallEventType.RECORDING_ATTACHED, uuid.uuid4(), uuid.uuid4())
    payload = sent.to_json()
    assert CallEvent.from_json(payload) == sent
    assert len(payload.encode()) < 200  # PostgreSQL caps a NOTIFY payload at 8000 bytes


async def test_every_subscriber_hears_each_event_in_order() -> None:
    bus = InProcessBus()
    sent = [event(), event(CallEventType.ANSWERED)]
    async with bus.subscribe() as first, bus.subscribe() as second:
        for e in sent:
            await bus.publish(e)
        assert [await anext(first), await anext(first)] == sent
        assert [await anext(second), await anext(second)] == sent
    assert bus.fanout.count == 0  # both left when their blocks ended


async def test_a_subscriber_that_falls_behind_is_dropped_after_what_it_holds() -> None:
    bus = InProcessBus(queue_size=3)
    sent = [event() for _ in range(10)]
    async with bus.subscribe() as slow, bus.subscribe() as quick:
        for e in sent[:3]:
            await bus.publish(e)
        assert [await anext(quick) for _ in range(3)] == sent[:3]
        for e in sent[3:]:  # the publisher never waits on the slow one
            await bus.publish(e)
            assert await anext(quick) == e  # the quick one keeps hearing every event
        assert [await anext(slow) for _ in range(3)] == sent[:3]
        with pytest.raises(SubscriberTooSlow) as dropped:
            await anext(slow)
        assert dropped.value.code == "UNAVAILABLE"
        assert "CRM_EVENTS_QUEUE_SIZE" in dropped.value.message
