"""The one metrics registry: every Prometheus metric the CRM keeps, defined here.

prometheus-client's default registry holds them. Under `crm serve --workers N` each
worker writes its values to files in `PROMETHEUS_MULTIPROC_DIR` (a private folder
`crm serve` makes and removes), and a scrape of any worker reads them all
(`exposition`), so `/metrics` gives one view whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from crm.domain.events import CallEvent, CredentialChanges, EventBus

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

WORKERS = Gauge("crm_workers", "Server processes running the app.", multiprocess_mode="livesum")
HTTP_REQUESTS = Counter(
    "crm_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "crm_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RINGOTEL_HOOKS = Counter(
    "crm_ringotel_hooks", "Ringotel hook requests, by hook name and status.", ["hook", "status"]
)
FIND_CONTACT = Counter(
    "crm_find_contact",
    "FindContact lookups, by the tier of the best match (`none`: nobody matched).",
    ["tier"],
)
DB_POOL = Gauge(
    "crm_db_pool_connections",
    "PostgreSQL pool connections of all workers, by state (`in_use`, `idle`).",
    ["state"],
    multiprocess_mode="livesum",
)
RECORDING_BYTES = Counter("crm_recording_bytes", "Bytes of call recordings stored.")
EVENTS_PUBLISHED = Counter("crm_events_published", "Call events published, by type.", ["type"])
EVENTS_DELIVERED = Counter(
    "crm_events_delivered",
    "Call events handed to a live subscriber (a GraphQL subscription, the webhook worker's"
    " wake-up), by type.",
    ["type"],
)
WEBHOOK_ATTEMPTS = Counter(
    "crm_webhook_attempts",
    "Outbound webhook attempts, by outcome (`delivered`: a 2xx answer; `failed`: anything else).",
    ["outcome"],
)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, of every worker when there are several."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def worker_started() -> None:
    """Count this process among the running workers."""
    WORKERS.set(1)


def worker_stopped() -> None:
    """Drop this worker's live gauges (itself, its pool) from the shared view as it stops."""
    WORKERS.set(0)
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def observe_pool(engine: Engine[Any]) -> None:
    """Record how many of the PostgreSQL pool's connections are in use and idle now."""
    pool = engine.pool if isinstance(engine, PostgresEngine) else None
    if pool is None:
        return
    idle = pool.get_idle_size()
    DB_POOL.labels("in_use").set(pool.get_size() - idle)
    DB_POOL.labels("idle").set(idle)


class MeteredBus:
    """An event bus that counts what is published and what reaches each subscriber."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def publish(self, event: CallEvent) -> None:
        await self._bus.publish(event)
        EVENTS_PUBLISHED.labels(event.type.value).inc()

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[CallEvent]]:
        return self._counted()

    @asynccontextmanager
    async def _counted(self) -> AsyncIterator[AsyncIterator[CallEvent]]:
        async with self._bus.subscribe() as events:
            yield _counting(events)

    async def credentials_changed(self) -> None:
        await self._bus.credentials_changed()

    @property
    def credential_changes(self) -> CredentialChanges:
        return self._bus.credential_changes

    async def start(self) -> None:
        await self._bus.start()

    async def stop(self) -> None:
        await self._bus.stop()


async def _counting(events: AsyncIterator[CallEvent]) -> AsyncIterator[CallEvent]:
    async for event in events:
        EVENTS_DELIVERED.labels(event.type.value).inc()
        yield event
