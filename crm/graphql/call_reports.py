"""Ringotel's webhook events in GraphQL: a call started, a call ended.

Both log the same activity the call's other reports do (`createActivity` and its
updates), keyed by `callId`, and find the agent by the Ringotel user's extension.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import strawberry

from crm.domain.call_reports import CallReport
from crm.domain.call_status import CallDirection
from crm.graphql.activities import ActivityType, CreateActivityResult
from crm.graphql.context import Info
from crm.graphql.permissions import CanWrite
from crm.tables import Activity


@strawberry.input(description="What Ringotel's webhook says about one call.")
class CallReportInput:
    call_id: str = strawberry.field(description="The idempotency key the call's reports share.")
    direction: CallDirection
    from_number: str | None = None
    to_number: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = strawberry.field(default=None, description="Seconds of conversation.")
    end_cause: str | None = strawberry.field(
        default=None, description="Why the call ended; an unanswered call's status."
    )
    extension: str | None = strawberry.field(
        default=None, description="The extension of the Ringotel user on the call."
    )
    ringotel_user_id: str | None = strawberry.field(
        default=None, description="Ringotel's id of that user, remembered on the agent."
    )


def _event(data: CallReportInput) -> CallReport:
    return CallReport(**{field.name: getattr(data, field.name) for field in fields(CallReport)})


def _result(info: Info, logged: tuple[Activity, bool]) -> CreateActivityResult:
    info.context.loaders.clear_all()
    row, created = logged
    return CreateActivityResult(activity=ActivityType.from_row(row), created=created)


@strawberry.type
class CallReportMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="A call started (Ringotel's StartCallActivity): logged once per callId.",
    )
    async def start_call(self, info: Info, input: CallReportInput) -> CreateActivityResult:
        return _result(info, await info.context.services.call_reports.start(_event(input)))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="A call ended (Ringotel's StopCallActivity); a call never started is "
        "logged whole.",
    )
    async def end_call(self, info: Info, input: CallReportInput) -> CreateActivityResult:
        return _result(info, await info.context.services.call_reports.stop(_event(input)))
