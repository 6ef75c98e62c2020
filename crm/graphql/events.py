"""Live call events in GraphQL: the `callEvents` subscription and its `CallEvent` type.

Each event names a call; the subscriber's own resolvers load it (through its
DataLoaders, under its permissions), afresh for every event.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from crm.domain.errors import ValidationFailed
from crm.domain.events import CallEvent, CallEventType
from crm.graphql.activities import ActivityType
from crm.graphql.context import Info
from crm.graphql.loaders import Soon, resolve_row_soon
from crm.graphql.permissions import CanRead

strawberry.enum(
    CallEventType,
    name="CallEventType",
    description="What happened to a call: it STARTED (was logged), was ANSWERED, ENDED "
    "(reached a final status), was ASSIGNED to a contact, or had a recording attached.",
)


@strawberry.type(name="CallEvent")
class CallEventObject:
    """One thing that happened to a call, told once it was committed."""

    type: CallEventType
    at: datetime = strawberry.field(description="When it happened (UTC).")
    activity_id: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="The call as it is now; null when it no longer exists.",
        graphql_type=ActivityType | None,
    )
    def activity(self, info: Info) -> Soon[ActivityType | None]:
        return resolve_row_soon(
            info.context.loaders.activity, self.activity_id, ActivityType.from_row
        )

    @classmethod
    def from_event(cls, event: CallEvent) -> CallEventObject:
        return cls(type=event.type, at=event.at, activity_id=event.activity_id)


def _own_user(info: Info) -> uuid.UUID:
    """The CRM user the caller signs in as, for `mine`; a credential of no user is refused."""
    principal = info.context.principal
    if principal is None or principal.user_id is None:
        raise ValidationFailed(
            "mine: true needs the credential of a CRM user (an access token a person "
            "authorized); an API key or an OAuth2 client acts for no user",
            field="mine",
        )
    return uuid.UUID(principal.user_id)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[CanRead],
        description="Calls as they happen: started, answered, ended, assigned, recording "
        "attached. With `mine: true`, only the calls of the signed-in user.",
    )
    async def call_events(
        self, info: Info, mine: bool | None = None
    ) -> AsyncGenerator[CallEventObject, None]:
        user = _own_user(info) if mine else None
        async with info.context.services.events.subscribe() as events:
            async for event in events:
                if user is not None and event.user_id != user:
                    continue
                # The socket's context lives as long as the socket: each event is read afresh.
                info.context.loaders.clear_all()
                yield CallEventObject.from_event(event)
