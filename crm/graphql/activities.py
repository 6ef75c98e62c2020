"""Call activities in GraphQL: the type, its enums, the list query and the mutations."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm.domain.activities import (
    ActivityFilter,
    ActivityInput,
    CallerMatch,
    duration_of,
    ring_duration_of,
    talk_duration_of,
)
from crm.domain.call_status import ActivityStatus, CallDirection
from crm.domain.validation import as_utc
from crm.graphql.context import Info
from crm.graphql.inputs import fields_of
from crm.graphql.loaders import Soon, resolve_row_soon
from crm.graphql.pagination import Connection, connection
from crm.graphql.permissions import CanRead, CanWrite
from crm.graphql.recordings import RecordingType
from crm.graphql.users import UserType
from crm.tables import Activity as ActivityRow

if TYPE_CHECKING:
    from crm.graphql.companies import CompanyType
    from crm.graphql.contacts import ContactType

# The domain's enums are the GraphQL enums (values are lower-case names, never seen by clients).
strawberry.enum(CallDirection, name="CallDirection", description="Who placed the call.")
strawberry.enum(
    ActivityStatus,
    name="ActivityStatus",
    description="RINGING, then ANSWERED (in progress), then one final state.",
)
strawberry.enum(
    CallerMatch,
    name="CallerMatch",
    description="How a call came to name its contact or company: CONTACT_NUMBER (the "
    "caller's number is one of the contact's own), MAIN_LINE (a company's main line: the "
    "company, not who in it), LINKED (named with the call, or linked afterwards).",
)


@strawberry.type(name="Activity")
class ActivityType:
    """A call, as the phone system reported it; times are UTC."""

    id: strawberry.ID
    call_id: str = strawberry.field(description="The phone system's id of the call (unique).")
    direction: CallDirection
    status: ActivityStatus
    from_number: str | None
    to_number: str | None
    subject: str | None
    comment: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int | None = strawberry.field(
        description="Seconds from start to end: as reported, else derived from the times."
    )
    ring_duration: int | None = strawberry.field(description="Seconds the call rang.")
    talk_duration: int | None = strawberry.field(description="Seconds of conversation.")
    caller_match: CallerMatch | None = strawberry.field(
        description="How the contact or company was found; null while the caller is unknown."
    )
    created_at: datetime
    updated_at: datetime
    user_id: strawberry.Private[uuid.UUID | None]
    contact_id: strawberry.Private[uuid.UUID | None]
    company_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The agent on the call.", graphql_type=UserType | None)
    def user(self, info: Info) -> Soon[UserType | None]:
        return resolve_row_soon(info.context.loaders.user, self.user_id, UserType.from_row)

    @strawberry.field(
        description="The person on the other end, when known.",
        graphql_type=Annotated["ContactType", strawberry.lazy("crm.graphql.contacts")] | None,
    )
    def contact(self, info: Info) -> Soon[ContactType | None]:
        from crm.graphql.contacts import ContactType  # contacts list their activities

        return resolve_row_soon(info.context.loaders.contact, self.contact_id, ContactType.from_row)

    @strawberry.field(
        description="The contact's company, or a company whose main line called.",
        graphql_type=Annotated["CompanyType", strawberry.lazy("crm.graphql.companies")] | None,
    )
    def company(self, info: Info) -> Soon[CompanyType | None]:
        from crm.graphql.companies import CompanyType

        return resolve_row_soon(info.context.loaders.company, self.company_id, CompanyType.from_row)

    @strawberry.field(
        description="The call's recording, when one was attached.",
        graphql_type=RecordingType | None,
    )
    def recording(self, info: Info) -> Soon[RecordingType | None]:
        services = info.context.services
        return resolve_row_soon(
            info.context.loaders.recording_by_activity,
            uuid.UUID(self.id),
            lambda row: RecordingType.from_row(row, services),
        )

    @classmethod
    def from_row(cls, row: ActivityRow) -> ActivityType:
        return cls(
            id=strawberry.ID(str(row.id)),
            call_id=row.call_id,
            direction=CallDirection(row.direction),
            status=ActivityStatus(row.status),
            from_number=row.from_number,
            to_number=row.to_number,
            subject=row.subject,
            comment=row.comment,
            started_at=as_utc(row.started_at),
            answered_at=as_utc(row.answered_at) if row.answered_at else None,
            ended_at=as_utc(row.ended_at) if row.ended_at else None,
            duration=duration_of(row),
            ring_duration=ring_duration_of(row),
            talk_duration=talk_duration_of(row),
            caller_match=CallerMatch(row.caller_match) if row.caller_match else None,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
            user_id=row.user,
            contact_id=row.contact,
            company_id=row.company,
        )


@strawberry.input(name="ActivityFilter", description="Every condition given must hold.")
class ActivityFilterInput:
    contact_id: strawberry.ID | None = None
    user_id: strawberry.ID | None = None
    status: ActivityStatus | None = None
    direction: CallDirection | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    unassigned: bool | None = strawberry.field(
        default=None, description="true: only calls linked to no contact yet."
    )


@strawberry.input
class UpdateActivityInput:
    status: ActivityStatus | None = strawberry.UNSET
    from_number: str | None = strawberry.UNSET
    to_number: str | None = strawberry.UNSET
    user_id: strawberry.ID | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    subject: str | None = strawberry.UNSET
    comment: str | None = strawberry.UNSET
    started_at: datetime | None = strawberry.UNSET
    ended_at: datetime | None = strawberry.UNSET
    duration: int | None = strawberry.UNSET


@strawberry.input
class CreateActivityInput(UpdateActivityInput):
    """A new call: the fields of an update, plus its key, direction and contact."""

    call_id: str = strawberry.field(description="The idempotency key: a repeat returns the first.")
    direction: CallDirection
    contact_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class CreateActivityResult:
    activity: ActivityType
    created: bool = strawberry.field(description="false when the callId was already logged.")


_INPUT_FIELDS = tuple(field.name for field in dataclasses.fields(ActivityInput))


def _input(data: CreateActivityInput | UpdateActivityInput) -> ActivityInput:
    names = tuple(name for name in _INPUT_FIELDS if hasattr(data, name))
    return ActivityInput(**fields_of(data, names))


@strawberry.type
class ActivityQuery:
    @strawberry.field(permission_classes=[CanRead], description="One call activity by id.")
    async def activity(self, info: Info, id: strawberry.ID) -> ActivityType:
        return ActivityType.from_row(await info.context.services.activities.get(id))

    @strawberry.field(permission_classes=[CanRead], description="Call activities, newest first.")
    async def activities(
        self,
        info: Info,
        filter: ActivityFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActivityType]:
        domain_filter = ActivityFilter(**vars(filter)) if filter else None
        page = await info.context.services.activities.list(domain_filter, limit=first, cursor=after)
        return connection(page, ActivityType.from_row)


@strawberry.type
class ActivityMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Log a call; the same callId again returns the first activity.",
    )
    async def create_activity(self, info: Info, input: CreateActivityInput) -> CreateActivityResult:
        row, created = await info.context.services.activities.create(_input(input))
        info.context.loaders.clear_all()
        return CreateActivityResult(activity=ActivityType.from_row(row), created=created)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Change a call: end time, duration, subject, comment, status, ...",
    )
    async def update_activity(
        self, info: Info, id: strawberry.ID, input: UpdateActivityInput
    ) -> ActivityType:
        row = await info.context.services.activities.update(id, _input(input))
        info.context.loaders.clear_all()
        return ActivityType.from_row(row)

    @strawberry.mutation(permission_classes=[CanWrite], description="Link a call to a contact.")
    async def assign_activity(
        self, info: Info, id: strawberry.ID, contact_id: strawberry.ID
    ) -> ActivityType:
        row = await info.context.services.activities.assign(id, contact_id)
        info.context.loaders.clear_all()
        return ActivityType.from_row(row)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Move a call to a status; a repeated or late status changes nothing.",
    )
    async def set_activity_status(
        self,
        info: Info,
        id: strawberry.ID,
        status: ActivityStatus,
    ) -> ActivityType:
        row = await info.context.services.activities.set_status(id, status)
        info.context.loaders.clear_all()
        return ActivityType.from_row(row)
