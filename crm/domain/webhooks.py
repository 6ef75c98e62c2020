"""Outbound webhooks: endpoints that want events, the outbox, and the delivery rules.

An endpoint names the event types it wants. A change that causes one writes a message
per interested endpoint into the outbox *inside its own transaction* (`Outbox.record`),
so a crash after the commit loses nothing and a rollback sends nothing. A worker then
claims due messages (`WebhookService.claim`, `FOR UPDATE SKIP LOCKED` on PostgreSQL,
under a lease), sends each through a `Sender` and records the attempt (`finish`):
delivered, retried with exponential backoff and jitter, or failed (a dead letter an
admin can replay). Messages of one call go to one endpoint in the order they happened.

Neither procrastinate nor pgqueuer (the PostgreSQL queues on offer) runs on SQLite, the
embedded default, so the outbox is a table of ours with the one claim statement that
differs per engine in `crm.queries.webhooks`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import ipaddress
import json
import random
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from crm.domain.call_status import ActivityStatus, CallDirection
from crm.domain.errors import ValidationFailed
from crm.domain.events import CallEventType
from crm.domain.secret_box import SecretBox, SecretUnreadable
from crm.domain.validation import as_utc, clean_text, found, now, parse_id, refuse_nul
from crm.queries import webhooks as queries
from crm.queries.transactions import transaction
from crm.tables import Activity, Recording, WebhookAttempt, WebhookEndpoint, WebhookMessage

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200
SECRET_PREFIX = "whsec_"  # noqa: S105 (the scheme's prefix, not a secret)
SECRET_BYTES = 32
"""Random bytes of a generated secret; a given one must hold 24 to 64."""
MAX_ERROR_LENGTH = 500
KEEP_OLD_SECRET_S = 86_400
"""How long a rotated-out secret still signs, unless the rotation says otherwise."""
MAX_KEEP_OLD_SECRET_S = 30 * 86_400


class WebhookEventType(StrEnum):
    """What an endpoint may ask to hear of; the value is the payload's `type`."""

    CALL_STARTED = "call.started"
    CALL_ANSWERED = "call.answered"
    CALL_ENDED = "call.ended"
    CALL_ASSIGNED = "call.assigned"
    RECORDING_ATTACHED = "recording.attached"
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_DELETED = "contact.deleted"
    COMPANY_CREATED = "company.created"
    COMPANY_UPDATED = "company.updated"
    COMPANY_DELETED = "company.deleted"


CALL_EVENT_TYPES: dict[CallEventType, WebhookEventType] = {
    CallEventType.STARTED: WebhookEventType.CALL_STARTED,
    CallEventType.ANSWERED: WebhookEventType.CALL_ANSWERED,
    CallEventType.ENDED: WebhookEventType.CALL_ENDED,
    CallEventType.ASSIGNED: WebhookEventType.CALL_ASSIGNED,
    CallEventType.RECORDING_ATTACHED: WebhookEventType.RECORDING_ATTACHED,
}


class MessageState(StrEnum):
    """Where a message stands: waiting (or retrying), delivered, or failed for good."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TargetRules:
    """Which addresses a webhook may be sent to: public ones, and private, loopback or
    link-local ones only inside `allowed_networks` (`CRM_WEBHOOK_ALLOW_NETWORKS`)."""

    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def refusal(self, address: str) -> str | None:
        """Why `address` (an IP) may not be called, or `None` when it may."""
        ip = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allowed_networks):
            return None
        if not ip.is_global or ip.is_multicast:
            return f"{ip} is a private, loopback or link-local address"
        return None


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How hard and how long delivery tries (`CRM_WEBHOOK_*` settings)."""

    timeout_s: float = 10.0
    max_attempts: int = 20
    retry_for_s: float = 86_400.0
    backoff_base_s: float = 5.0
    backoff_max_s: float = 3_600.0
    batch_size: int = 10
    lease_for_s: float = 0.0
    """`lease_s` as set (`CRM_WEBHOOK_LEASE_S`); 0 leaves it to the timeout."""

    @property
    def lease_s(self) -> float:
        """How long a claimed message stays a worker's: longer than one attempt can take,
        so that no other worker sends it meanwhile; a worker that dies gives it up then."""
        return self.lease_for_s or self.timeout_s * 2 + 30

    def delay_s(self, attempts: int) -> float:
        """The wait before the next try, after `attempts` failed ones: exponential with
        "full jitter", so that receivers coming back are not hit by every retry at once."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** min(attempts - 1, 40))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one try at sending came to."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    response_excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


class Sender(Protocol):
    """Sends one signed message over HTTP (`crm.webhook_sender.HttpSender`)."""

    async def send(
        self, url: str, secrets: Sequence[str], webhook_id: str, body: str
    ) -> AttemptResult:
        """POST `body` to `url` signed with each of `secrets`; never raises for a network
        failure."""
        ...


@dataclass(frozen=True, slots=True)
class EndpointInput:
    """Fields of an endpoint; on update, `None` leaves a field as it is."""

    url: str | None = None
    event_types: Sequence[str] | None = None
    description: str | None = None
    enabled: bool | None = None
    secret: str | None = None


@dataclass(slots=True)
class Claimed:
    """A message a worker holds under its lease, with where it goes and the secrets that
    sign it (the current one, and the one rotated out while its grace lasts); `error`
    says why it cannot be signed when the current one does not decrypt."""

    message: WebhookMessage
    url: str
    secrets: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message as admins see it, with its attempts, newest first."""

    message: WebhookMessage
    attempts: list[WebhookAttempt] = field(default_factory=list)


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def clean_secret(value: str) -> str:
    """A secret an admin chose: `whsec_` and base64 of 24 to 64 bytes."""
    text = refuse_nul(value.strip(), field="secret")
    if len(text) > 128 or not text.startswith(SECRET_PREFIX):
        raise ValidationFailed(
            "must be whsec_ followed by base64 of 24 to 64 bytes", field="secret"
        )
    try:
        raw = base64.b64decode(text[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("is not valid base64 after whsec_", field="secret") from None
    if not 24 <= len(raw) <= 64:
        raise ValidationFailed("must hold 24 to 64 bytes", field="secret")
    return text


def clean_target_url(value: str, rules: TargetRules) -> str:
    """An http(s) URL with a host, no credentials in it, and no address `rules` refuse
    (a name is checked again, once resolved, at every attempt)."""
    text = clean_text(value, field="url", max_length=MAX_URL_LENGTH, required=True)
    assert text is not None  # required=True
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ValidationFailed("must not contain spaces or control characters", field="url")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValidationFailed(f"{text!r} is not a URL", field="url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("must be an http:// or https:// URL with a host", field="url")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("must not hold a user name or password", field="url")
    if port == 0:
        raise ValidationFailed("has no usable port", field="url")
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        refusal = rules.refusal(host)
    except ValueError:
        refusal = None  # a name: resolved and checked when sending
    if refusal is not None:
        raise ValidationFailed(f"is refused: {refusal}", field="url")
    return text


def clean_event_types(values: Sequence[str]) -> list[WebhookEventType]:
    """The event types asked for, each once, in their declared order; one at least."""
    wanted: set[WebhookEventType] = set()
    for index, value in enumerate(values):
        try:
            wanted.add(WebhookEventType(value))
        except ValueError:
            known = ", ".join(t.value for t in WebhookEventType)
            raise ValidationFailed(
                f"{value!r} is not an event type (one of {known})", field=f"event_types.{index}"
            ) from None
    if not wanted:
        raise ValidationFailed("must name at least one event type", field="event_types")
    return [t for t in WebhookEventType if t in wanted]


def event_types_of(row: WebhookEndpoint) -> list[WebhookEventType]:
    """The event types an endpoint wants, as stored."""
    return [WebhookEventType(name) for name in _types(row) if name]


def moment_text(value: datetime | None) -> str | None:
    """A moment in a payload: ISO 8601 in UTC, or null."""
    return None if value is None else as_utc(value).isoformat()


def id_text(value: uuid.UUID | None) -> str | None:
    """A related object's id in a payload, or null."""
    return None if value is None else str(value)


def call_data(row: Activity) -> dict[str, Any]:
    """A call as GraphQL's `Activity` names its fields (people by id)."""
    return {
        "id": str(row.id),
        "callId": row.call_id,
        "direction": CallDirection(row.direction).name,
        "status": ActivityStatus(row.status).name,
        "fromNumber": row.from_number,
        "toNumber": row.to_number,
        "userId": id_text(row.user),
        "contactId": id_text(row.contact),
        "companyId": id_text(row.company),
        "subject": row.subject,
        "comment": row.comment,
        "startedAt": moment_text(row.started_at),
        "answeredAt": moment_text(row.answered_at),
        "endedAt": moment_text(row.ended_at),
        "duration": row.duration,
    }


def recording_data(row: Recording, download_url: str) -> dict[str, Any]:
    """A recording as GraphQL's `Recording` names its fields, with its call's id."""
    return {
        "id": str(row.id),
        "activityId": str(row.activity),
        "contentType": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "downloadUrl": download_url,
        "createdAt": moment_text(row.created_at),
    }


@dataclass(frozen=True, slots=True)
class OutboundEvent:
    """One event to be told to the endpoints that want it."""

    type: WebhookEventType
    ordering_key: str
    """Events of one key (a call's id) reach each endpoint in the order they are recorded."""
    data: dict[str, Any]


class Outbox:
    """Writes events into the outbox; called inside the transaction of their change."""

    async def record(self, events: Sequence[OutboundEvent]) -> None:
        """One message per event and endpoint that wants it; nothing when none does."""
        if not events:
            return
        endpoints = await queries.enabled_endpoints()
        if endpoints:
            await _write(events, endpoints)

    async def record_lazily(
        self,
        type: WebhookEventType,
        ordering_key: str,
        data: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        """Like `record` for one event whose `data` costs queries: built only when an
        endpoint wants the event."""
        endpoints = [e for e in await queries.enabled_endpoints() if type.value in _types(e)]
        if endpoints:
            await _write([OutboundEvent(type, ordering_key, await data())], endpoints)

    async def wants(self, type: WebhookEventType) -> bool:
        """Whether an enabled endpoint wants `type`: work done only for it can be skipped."""
        return any(type.value in _types(e) for e in await queries.enabled_endpoints())


def _types(endpoint: WebhookEndpoint) -> list[str]:
    return endpoint.event_types.split(",")


async def _write(events: Sequence[OutboundEvent], endpoints: Sequence[WebhookEndpoint]) -> None:
    at = now()
    rows: list[WebhookMessage] = []
    for seq, event in enumerate(events):
        body = json.dumps(
            {"type": event.type.value, "timestamp": at.isoformat(), "data": event.data},
            separators=(",", ":"),
        )
        for endpoint in endpoints:
            if event.type.value not in _types(endpoint):
                continue
            rows.append(
                WebhookMessage(
                    webhook_id=f"msg_{uuid.uuid4().hex}",
                    endpoint=endpoint.id,
                    event_type=event.type.value,
                    ordering_key=event.ordering_key,
                    seq=seq,
                    payload=body,
                    state=MessageState.PENDING.value,
                    attempts=0,
                    next_attempt_at=at,
                    retry_since=at,
                    created_at=at,
                )
            )
    await queries.insert_messages(rows)


class WebhookService:
    """Manage endpoints (admins), and deliver the outbox (the worker)."""

    def __init__(self, rules: TargetRules, policy: DeliveryPolicy, box: SecretBox) -> None:
        self.rules = rules
        self.policy = policy
        self._box = box

    async def create(self, data: EndpointInput) -> tuple[WebhookEndpoint, str]:
        """Register an endpoint; its secret is returned here and never shown again."""
        if data.url is None:
            raise ValidationFailed("is required", field="url")
        if data.event_types is None:
            raise ValidationFailed("is required", field="event_types")
        secret = new_secret() if data.secret is None else clean_secret(data.secret)
        row = WebhookEndpoint(
            url=clean_target_url(data.url, self.rules),
            event_types=",".join(clean_event_types(data.event_types)),
            description=self._description(data.description),
            secret=self._box.seal(secret),
            enabled=True if data.enabled is None else data.enabled,
            created_at=now(),
            updated_at=now(),
        )
        await queries.save_endpoint(row)
        return row, secret

    async def update(self, endpoint_id: str | uuid.UUID, data: EndpointInput) -> WebhookEndpoint:
        """Change an endpoint's URL, event types, description or whether it is enabled."""
        row = await self.get(endpoint_id)
        if data.url is not None:
            row.url = clean_target_url(data.url, self.rules)
        if data.event_types is not None:
            row.event_types = ",".join(clean_event_types(data.event_types))
        if data.description is not None:
            row.description = self._description(data.description)
        if data.enabled is not None:
            row.enabled = data.enabled
        if data.secret is not None:
            row.secret = self._box.seal(clean_secret(data.secret))
        row.updated_at = now()
        await queries.save_endpoint(row)
        return row

    async def rotate_secret(
        self, endpoint_id: str | uuid.UUID, keep_old_for_s: float = KEEP_OLD_SECRET_S
    ) -> tuple[WebhookEndpoint, str]:
        """Give an endpoint a new secret, returned once. For `keep_old_for_s` seconds more
        every attempt is signed with the old one too, so that receivers can switch over."""
        if not 0 <= keep_old_for_s <= MAX_KEEP_OLD_SECRET_S:
            raise ValidationFailed(
                f"must be from 0 to {MAX_KEEP_OLD_SECRET_S} seconds", field="keep_old_for_seconds"
            )
        eid = parse_id(endpoint_id, entity="webhook endpoint")
        secret = new_secret()
        # Locked: of two rotations at once, the second keeps the first one's secret as
        # the old one, rather than both keeping the same and one new secret being lost.
        async with transaction():
            row = await queries.endpoint(eid, lock=True)
            row = found(row, endpoint_id, entity="webhook endpoint")
            at = now()
            if keep_old_for_s > 0:
                row.previous_secret = row.secret
                row.previous_secret_until = at + timedelta(seconds=keep_old_for_s)
            else:
                row.previous_secret = row.previous_secret_until = None
            row.secret = self._box.seal(secret)
            row.updated_at = at
            await queries.save_endpoint(row)
        return row, secret

    async def delete(self, endpoint_id: str | uuid.UUID) -> None:
        """Remove an endpoint, its undelivered messages and their attempts."""
        row = await self.get(endpoint_id)
        await queries.delete_endpoint(row.id)

    async def get(self, endpoint_id: str | uuid.UUID) -> WebhookEndpoint:
        eid = parse_id(endpoint_id, entity="webhook endpoint")
        return found(await queries.endpoint(eid), endpoint_id, entity="webhook endpoint")

    async def endpoints(self) -> list[WebhookEndpoint]:
        """Every endpoint, oldest first."""
        return await queries.endpoints()

    async def deliveries(
        self,
        *,
        endpoint_id: str | uuid.UUID | None = None,
        state: MessageState | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Messages, newest first, with their attempts; `state` and `endpoint_id` filter."""
        if not 1 <= limit <= 500:
            raise ValidationFailed("must be from 1 to 500", field="first")
        eid = None if endpoint_id is None else parse_id(endpoint_id, field="endpoint_id")
        messages = await queries.messages(eid, None if state is None else state.value, limit)
        attempts = await queries.attempts_of([m.id for m in messages])
        return [Delivery(m, attempts.get(m.id, [])) for m in messages]

    async def retry(self, message_id: str | uuid.UUID) -> WebhookMessage:
        """Send a failed message again, from now on, with the retries it had at first."""
        mid = parse_id(message_id, entity="webhook delivery")
        async with transaction():
            row = found(await queries.message(mid, lock=True), mid, entity="webhook delivery")
            if row.state != MessageState.FAILED.value:
                raise ValidationFailed("only a failed delivery can be retried", field="id")
            at = now()
            row.state = MessageState.PENDING.value
            row.attempts = 0
            row.next_attempt_at = at
            row.retry_since = at
            row.leased_by = row.leased_until = None
            await queries.save_message(row)
        return row

    async def claim(self, worker: str) -> list[Claimed]:
        """Due messages, at most a batch, now leased to `worker`: none of them is another
        worker's, and none has an earlier undelivered message of its call before it."""
        at = now()
        # Most wakes (a call event each) find nothing due: a read says so without the
        # write transaction, which on SQLite would queue behind the calls being logged.
        if not await queries.any_due(at):
            return []
        async with transaction():
            found_rows = await queries.claim_due(at, self.policy.batch_size)
            if not found_rows:
                return []
            until = at + timedelta(seconds=self.policy.lease_s)
            await queries.lease([row.message.id for row in found_rows], worker, until)
        return [self._signable(row, at) for row in found_rows]

    def _signable(self, row: queries.DueMessage, at: datetime) -> Claimed:
        """The claimed message with its secrets opened: the old one only in its grace."""
        try:
            secrets = [self._box.open(row.secret)]
        except SecretUnreadable as exc:
            return Claimed(row.message, row.url, (), error=str(exc))
        until = row.previous_secret_until
        if row.previous_secret is not None and until is not None and as_utc(until) > at:
            with contextlib.suppress(SecretUnreadable):  # the new secret still signs
                secrets.append(self._box.open(row.previous_secret))
        return Claimed(row.message, row.url, tuple(secrets))

    async def finish(self, worker: str, claimed: Claimed, result: AttemptResult) -> None:
        """Record an attempt, and what becomes of its message: delivered, tried again
        later, or failed once out of attempts or time. A lease lost meanwhile (the worker
        was too slow) records the attempt only."""
        at = now()
        async with transaction():
            row = await queries.message(claimed.message.id, lock=True)
            if row is None:
                return  # its endpoint was deleted meanwhile
            await queries.insert_attempt(
                WebhookAttempt(
                    message=row.id,
                    at=at,
                    status_code=result.status_code,
                    latency_ms=result.latency_ms,
                    error=_cut(result.error),
                    response_excerpt=_cut(result.response_excerpt),
                )
            )
            if row.leased_by != worker or row.state != MessageState.PENDING.value:
                return
            row.attempts += 1
            row.last_status = result.status_code
            row.last_error = _cut(result.error)
            row.leased_by = row.leased_until = None
            if result.ok:
                row.state = MessageState.DELIVERED.value
                row.delivered_at = at
            else:
                wait = timedelta(seconds=self.policy.delay_s(row.attempts))
                out_of_time = at + wait - as_utc(row.retry_since) > timedelta(
                    seconds=self.policy.retry_for_s
                )
                if row.attempts >= self.policy.max_attempts or out_of_time:
                    row.state = MessageState.FAILED.value
                else:
                    row.next_attempt_at = at + wait
            await queries.save_message(row)

    async def deliver_due(self, worker: str, sender: Sender) -> int:
        """Claim a batch and send it; how many messages were tried."""
        batch = await self.claim(worker)

        async def one(claimed: Claimed) -> None:
            if claimed.error is not None:
                result = AttemptResult(None, 0, error=claimed.error)
            else:
                result = await sender.send(
                    claimed.url,
                    claimed.secrets,
                    claimed.message.webhook_id,
                    claimed.message.payload,
                )
            await self.finish(worker, claimed, result)

        await asyncio.gather(*(one(claimed) for claimed in batch))
        return len(batch)

    async def prune_attempts(self, older_than: datetime) -> None:
        """Forget attempts made before `older_than` (their messages stay), and secrets
        rotated out whose grace is over."""
        await queries.prune_attempts(older_than)
        await queries.forget_old_secrets(now())

    @staticmethod
    def _description(value: str | None) -> str:
        return clean_text(value, field="description", max_length=MAX_DESCRIPTION_LENGTH) or ""


def _cut(text: str | None) -> str | None:
    """`text` short enough for its column, without NULs (PostgreSQL cannot store one)."""
    if text is None:
        return None
    return text.replace("\x00", "")[:MAX_ERROR_LENGTH]
