"""Outbound webhooks in GraphQL: endpoints, their deliveries and attempts (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from crm.domain.validation import as_utc, now
from crm.domain.webhooks import (
    KEEP_OLD_SECRET_S,
    MAX_KEEP_OLD_SECRET_S,
    Delivery,
    EndpointInput,
    MessageState,
    WebhookEventType,
    event_types_of,
)
from crm.graphql.context import Info
from crm.graphql.permissions import IsAdmin
from crm.tables import WebhookAttempt, WebhookEndpoint, WebhookMessage

strawberry.enum(
    WebhookEventType,
    name="WebhookEventType",
    description="An outbound event: the payload's `type` is its value (`call.started`, ...).",
)
strawberry.enum(
    MessageState,
    name="WebhookDeliveryState",
    description="PENDING (waiting or retrying), DELIVERED, or FAILED (out of attempts).",
)


@strawberry.type(name="WebhookEndpoint")
class WebhookEndpointType:
    """Where outbound webhooks go; its secret is shown only when made or rotated."""

    id: strawberry.ID
    url: str
    description: str
    event_types: list[WebhookEventType]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    old_secret_signs_until: datetime | None = strawberry.field(
        description="Until when the secret a rotation replaced still signs; null when none does."
    )

    @classmethod
    def from_row(cls, row: WebhookEndpoint) -> WebhookEndpointType:
        until = row.previous_secret_until
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            description=row.description,
            event_types=event_types_of(row),
            enabled=row.enabled,
            old_secret_signs_until=None
            if until is None or as_utc(until) <= now()
            else as_utc(until),
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


@strawberry.type
class WebhookEndpointWithSecret:
    """An endpoint and its signing secret (`whsec_...`), shown this once."""

    endpoint: WebhookEndpointType
    secret: str


@strawberry.type(name="WebhookAttempt")
class WebhookAttemptType:
    """One try at delivering: the status code (null when none came), latency, error."""

    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None

    @classmethod
    def from_row(cls, row: WebhookAttempt) -> WebhookAttemptType:
        return cls(
            at=as_utc(row.at),
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            response_excerpt=row.response_excerpt,
        )


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryType:
    """One event for one endpoint, and where its delivery stands."""

    id: strawberry.ID
    webhook_id: str = strawberry.field(description="The `webhook-id` header, the same each try.")
    endpoint_id: strawberry.ID
    event_type: WebhookEventType
    state: MessageState
    attempt_count: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    payload: str = strawberry.field(description="The JSON body sent.")
    created_at: datetime
    attempts: list[WebhookAttemptType] = strawberry.field(description="Newest first.")

    @classmethod
    def from_message(
        cls, row: WebhookMessage, attempts: list[WebhookAttempt]
    ) -> WebhookDeliveryType:
        pending = row.state == MessageState.PENDING.value
        return cls(
            id=strawberry.ID(str(row.id)),
            webhook_id=row.webhook_id,
            endpoint_id=strawberry.ID(str(row.endpoint)),
            event_type=WebhookEventType(row.event_type),
            state=MessageState(row.state),
            attempt_count=row.attempts,
            next_attempt_at=as_utc(row.next_attempt_at) if pending else None,
            delivered_at=None if row.delivered_at is None else as_utc(row.delivered_at),
            last_error=row.last_error,
            payload=row.payload,
            created_at=as_utc(row.created_at),
            attempts=[WebhookAttemptType.from_row(a) for a in attempts],
        )

    @classmethod
    def from_delivery(cls, delivery: Delivery) -> WebhookDeliveryType:
        return cls.from_message(delivery.message, delivery.attempts)


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    event_types: list[WebhookEventType]
    description: str | None = None
    enabled: bool | None = None
    secret: str | None = strawberry.field(
        default=None, description="`whsec_` + base64 of 24-64 bytes; generated when left out."
    )


@strawberry.input
class UpdateWebhookEndpointInput:
    url: str | None = None
    event_types: list[WebhookEventType] | None = None
    description: str | None = None
    enabled: bool | None = None


@strawberry.type
class WebhookQuery:
    @strawberry.field(permission_classes=[IsAdmin], description="Every webhook endpoint.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpointType]:
        rows = await info.context.services.webhooks.endpoints()
        return [WebhookEndpointType.from_row(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Webhook deliveries, newest first; `state: FAILED` lists the dead letters.",
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID | None = None,
        state: MessageState | None = None,
        first: int = 50,
    ) -> list[WebhookDeliveryType]:
        found = await info.context.services.webhooks.deliveries(
            endpoint_id=endpoint_id, state=state, limit=first
        )
        return [WebhookDeliveryType.from_delivery(d) for d in found]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Register a webhook endpoint; its secret is in the answer, and only there.",
    )
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointWithSecret:
        row, secret = await info.context.services.webhooks.create(
            EndpointInput(
                url=input.url,
                event_types=[t.value for t in input.event_types],
                description=input.description,
                enabled=input.enabled,
                secret=input.secret,
            )
        )
        return WebhookEndpointWithSecret(endpoint=WebhookEndpointType.from_row(row), secret=secret)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Change an endpoint; `enabled: false` pauses it: no new events are "
        "recorded for it, and those already recorded wait.",
    )
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointType:
        row = await info.context.services.webhooks.update(
            id,
            EndpointInput(
                url=input.url,
                event_types=None
                if input.event_types is None
                else [t.value for t in input.event_types],
                description=input.description,
                enabled=input.enabled,
            ),
        )
        return WebhookEndpointType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="A new signing secret, shown this once; for `keepOldForSeconds` every "
        "webhook carries the old secret's signature too.",
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        id: strawberry.ID,
        keep_old_for_seconds: Annotated[
            int,
            strawberry.argument(
                description="How long the old secret still signs, beside the new one "
                f"(0 to {MAX_KEEP_OLD_SECRET_S}; 0 drops it at once)."
            ),
        ] = KEEP_OLD_SECRET_S,
    ) -> WebhookEndpointWithSecret:
        row, secret = await info.context.services.webhooks.rotate_secret(id, keep_old_for_seconds)
        return WebhookEndpointWithSecret(endpoint=WebhookEndpointType.from_row(row), secret=secret)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Remove an endpoint (revoke it) with its undelivered webhooks; its id.",
    )
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        await info.context.services.webhooks.delete(id)
        return id

    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Send a FAILED delivery again, from now on."
    )
    async def retry_webhook_delivery(self, info: Info, id: strawberry.ID) -> WebhookDeliveryType:
        row = await info.context.services.webhooks.retry(id)
        return WebhookDeliveryType.from_message(row, [])
