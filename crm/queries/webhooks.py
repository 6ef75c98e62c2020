"""The statements of `crm.domain.webhooks`: endpoints, the outbox and its attempts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from piccolo.engine.postgres import PostgresEngine

from crm.engine import current_engine
from crm.queries.rows import fetch, row_from, save, select_list, select_sql
from crm.queries.transactions import for_update
from crm.tables import WebhookAttempt, WebhookEndpoint, WebhookMessage

_DUE = (
    f"SELECT {select_list(WebhookMessage, 'm')}, e.url AS e__url, e.secret AS e__secret,"  # noqa: S608 (fixed text)
    " e.previous_secret AS e__previous_secret, e.previous_secret_until AS e__previous_until"
    " FROM crm_webhook_message m JOIN crm_webhook_endpoint e ON e.id = m.endpoint"
    " WHERE m.state = 'pending' AND e.enabled AND m.next_attempt_at <= {}"
    " AND (m.leased_until IS NULL OR m.leased_until < {})"
    # An earlier undelivered message of the same call and endpoint goes first.
    " AND NOT EXISTS (SELECT 1 FROM crm_webhook_message p"
    " WHERE p.endpoint = m.endpoint AND p.ordering_key = m.ordering_key"
    " AND p.state = 'pending'"
    " AND (p.created_at < m.created_at OR (p.created_at = m.created_at AND p.seq < m.seq)))"
    " ORDER BY m.next_attempt_at, m.created_at, m.seq LIMIT {}"
)


@dataclass(frozen=True, slots=True)
class DueMessage:
    """A due message with its endpoint's URL and sealed secrets."""

    message: WebhookMessage
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None


_ENABLED = select_sql(WebhookEndpoint, '"enabled" = {}')


async def enabled_endpoints() -> list[WebhookEndpoint]:
    """The endpoints that take deliveries. Every change that writes the outbox (each call
    logged) asks, inside its transaction: a constant statement, not a built query."""
    return [row_from(WebhookEndpoint, record) for record in await fetch(_ENABLED, True)]


async def endpoints() -> list[WebhookEndpoint]:
    return await WebhookEndpoint.objects().order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)


async def endpoint(endpoint_id: uuid.UUID, *, lock: bool = False) -> WebhookEndpoint | None:
    query = WebhookEndpoint.objects().where(WebhookEndpoint.id == endpoint_id)
    row: WebhookEndpoint | None = await (for_update(query) if lock else query).first()
    return row


async def save_endpoint(row: WebhookEndpoint) -> None:
    await save(row)


async def delete_endpoint(endpoint_id: uuid.UUID) -> None:
    """The endpoint, and through the cascade its messages and their attempts."""
    await WebhookEndpoint.delete().where(WebhookEndpoint.id == endpoint_id)


async def insert_messages(rows: Sequence[WebhookMessage]) -> None:
    if rows:
        await WebhookMessage.insert(*rows)


async def message(message_id: uuid.UUID, *, lock: bool = False) -> WebhookMessage | None:
    query = WebhookMessage.objects().where(WebhookMessage.id == message_id)
    row: WebhookMessage | None = await (for_update(query) if lock else query).first()
    return row


async def save_message(row: WebhookMessage) -> None:
    await save(row)


async def messages(
    endpoint_id: uuid.UUID | None, state: str | None, limit: int
) -> list[WebhookMessage]:
    """Messages newest first, of one endpoint and in one state when given."""
    query = WebhookMessage.objects()
    if endpoint_id is not None:
        query = query.where(WebhookMessage.endpoint == endpoint_id)
    if state is not None:
        query = query.where(WebhookMessage.state == state)
    return await query.order_by(
        WebhookMessage.created_at, WebhookMessage.seq, ascending=False
    ).limit(limit)


async def attempts_of(message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[WebhookAttempt]]:
    """Each message's attempts, newest first; no ids, no query."""
    if not message_ids:
        return {}
    rows = await (
        WebhookAttempt.objects()
        .where(WebhookAttempt.message.is_in(list(message_ids)))
        .order_by(WebhookAttempt.at, ascending=False)
    )
    found: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
    for row in rows:
        found[row.message].append(row)
    return found


async def insert_attempt(row: WebhookAttempt) -> None:
    await save(row)


async def any_due(at: datetime) -> bool:
    """Whether `claim_due` would find a message now; a read, which takes no lock."""
    return bool(await fetch(_DUE, at, at, 1))


async def claim_due(at: datetime, limit: int) -> list[DueMessage]:
    """Due messages not leased to a live worker, locked for this transaction.

    On PostgreSQL rows another worker is claiming are skipped (`SKIP LOCKED`) rather
    than waited for; SQLite's write transaction already admits one claimer at a time.
    """
    sql = _DUE
    if isinstance(current_engine(), PostgresEngine):
        sql += " FOR UPDATE OF m SKIP LOCKED"
    records = await fetch(sql, at, at, limit)
    return [
        DueMessage(
            row_from(WebhookMessage, r, prefix="m__"),
            r["e__url"],
            r["e__secret"],
            r["e__previous_secret"],
            r["e__previous_until"],
        )
        for r in records
    ]


async def lease(message_ids: Sequence[uuid.UUID], worker: str, until: datetime) -> None:
    await WebhookMessage.update(
        {WebhookMessage.leased_by: worker, WebhookMessage.leased_until: until}
    ).where(WebhookMessage.id.is_in(list(message_ids)))


async def prune_attempts(older_than: datetime) -> None:
    await WebhookAttempt.delete().where(WebhookAttempt.at < older_than)


async def forget_old_secrets(at: datetime) -> None:
    """Drop the rotated-out secrets whose grace ended before `at`."""
    await WebhookEndpoint.update(
        {WebhookEndpoint.previous_secret: None, WebhookEndpoint.previous_secret_until: None}
    ).where(WebhookEndpoint.previous_secret_until < at)
