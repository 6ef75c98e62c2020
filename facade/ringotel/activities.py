"""The call activity hooks: log a call, link it to a contact, update it, move its status."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response, patch, post, put
from litestar.params import Body, Parameter

from facade import lenient
from facade.operations import Operation
from facade.ringotel.client import HookClient
from facade.ringotel.hooks import (
    Fills,
    created_or_found,
    hook,
    hook_responses,
    present,
    read_id,
)

PATH = "/ringotel/v1/activities"

CREATE_ACTIVITY_MUTATION = Operation(
    "RingotelCreateActivity",
    """
    # A call_id already logged returns the first activity.
    mutation RingotelCreateActivity($input: CreateActivityInput!) {
      createActivity(input: $input) { created activity { id } }
    }
    """,
)

ASSIGN_ACTIVITY_MUTATION = Operation(
    "RingotelAssignActivity",
    """
    mutation RingotelAssignActivity($id: ID!, $contactId: ID!) {
      assignActivity(id: $id, contactId: $contactId) { id }
    }
    """,
)

UPDATE_ACTIVITY_MUTATION = Operation(
    "RingotelUpdateActivity",
    """
    mutation RingotelUpdateActivity($id: ID!, $input: UpdateActivityInput!) {
      updateActivity(id: $id, input: $input) { id }
    }
    """,
)

SET_ACTIVITY_STATUS_MUTATION = Operation(
    "RingotelSetActivityStatus",
    """
    mutation RingotelSetActivityStatus($id: ID!, $status: ActivityStatus!) {
      setActivityStatus(id: $id, status: $status) { id }
    }
    """,
)


class ActivityId(msgspec.Struct):
    """The activity a hook created or changed."""

    id: Annotated[str, Fills("activity_id")]


ActivityIdParameter = Annotated[
    str, Parameter(description="The activity's id, as CreateActivity answered it.")
]
ActivityBody = Body(description="Fields Ringotel fills in for a call.")

STATUS_DESCRIPTION = (
    "ringing, answered, completed, missed, busy, failed, cancelled or voicemail (any case; "
    "synonyms such as no-answer or canceled are understood)."
)


# --- CreateActivity ----------------------------------------------------------------


class CreateActivityRequest(lenient.LenientBody):
    call_id: Annotated[
        lenient.Text,
        lenient.REQUIRED,
        msgspec.Meta(
            description="Ringotel's id of the call: a retry with the same id returns the "
            "first activity."
        ),
    ] = None
    direction: Annotated[
        lenient.Direction,
        lenient.REQUIRED,
        msgspec.Meta(
            description="inbound or outbound (in, out, incoming, outgoing are understood)."
        ),
    ] = None
    phone: Annotated[
        lenient.Phone, msgspec.Meta(description="The other party's number, in any format.")
    ] = None
    caller_number: Annotated[lenient.Phone, msgspec.Meta(description="Who placed the call.")] = None
    called_number: Annotated[lenient.Phone, msgspec.Meta(description="Who was called.")] = None
    call_start: Annotated[
        lenient.Timestamp,
        msgspec.Meta(description="When the call started: epoch ms, epoch s or ISO 8601."),
    ] = None
    user_id: Annotated[lenient.Text, msgspec.Meta(description="The CRM user on the call.")] = None
    contact_id: Annotated[lenient.Text, msgspec.Meta(description="The contact called.")] = None
    status: Annotated[lenient.Status, msgspec.Meta(description=STATUS_DESCRIPTION)] = None
    subject: Annotated[lenient.Text, msgspec.Meta(description="A one-line subject.")] = None


def create_activity_input(body: CreateActivityRequest) -> dict[str, Any]:
    """The call's input; `phone` is the other party: the caller of an inbound call, the
    called of an outbound one, unless that number was sent explicitly."""
    caller, called = body.caller_number, body.called_number
    if body.direction == "INBOUND":
        caller = body.phone if caller is None else caller
    else:
        called = body.phone if called is None else called
    return present(
        {
            "callId": body.call_id,
            "direction": body.direction,
            "fromNumber": caller,
            "toNumber": called,
            "startedAt": body.call_start,
            "userId": body.user_id,
            "contactId": body.contact_id,
            "status": body.status,
            "subject": body.subject,
        }
    )


@post(
    PATH,
    operation_id="CreateActivity",
    tags=["activities"],
    summary="Log a call. A call_id already logged answers 200 with the first activity's id.",
    status_code=201,
    opt=hook("CreateActivity"),
    responses=hook_responses(has_body=True, found=ActivityId),
)
async def create_activity(
    graphql: HookClient, data: Annotated[CreateActivityRequest | None, ActivityBody] = None
) -> Response[ActivityId]:
    body = data or CreateActivityRequest()
    variables = {"input": create_activity_input(body)}
    answer = (await graphql.run(CREATE_ACTIVITY_MUTATION, variables))["createActivity"]
    return created_or_found(ActivityId(answer["activity"]["id"]), answer["created"])


# --- AssignActivity ----------------------------------------------------------------


class AssignActivityRequest(lenient.LenientBody):
    contact_id: Annotated[
        lenient.Text, lenient.REQUIRED, msgspec.Meta(description="The contact to link.")
    ] = None


@put(
    PATH + "/{activity_id:str}/contact",
    operation_id="AssignActivity",
    tags=["activities"],
    summary="Link a call to a contact (and to the contact's company).",
    opt=hook("AssignActivity"),
    responses=hook_responses(has_body=True),
)
async def assign_activity(
    graphql: HookClient,
    activity_id: ActivityIdParameter,
    data: Annotated[AssignActivityRequest | None, ActivityBody] = None,
) -> ActivityId:
    record = read_id(activity_id, "activity_id")
    body = data or AssignActivityRequest()
    variables = {"id": record, "contactId": body.contact_id}
    answer = await graphql.run(ASSIGN_ACTIVITY_MUTATION, variables)
    return ActivityId(answer["assignActivity"]["id"])


# --- UpdateActivity ----------------------------------------------------------------


class UpdateActivityRequest(lenient.LenientBody):
    call_end: Annotated[
        lenient.Timestamp,
        msgspec.Meta(description="When the call ended: epoch ms, epoch s or ISO 8601."),
    ] = None
    call_duration: Annotated[
        lenient.Duration,
        msgspec.Meta(description="Length of the call in seconds (a number or a numeric string)."),
    ] = None
    subject: Annotated[lenient.Text, msgspec.Meta(description="A one-line subject.")] = None
    comment: Annotated[lenient.Text, msgspec.Meta(description="Notes on the call.")] = None
    status: Annotated[lenient.Status, msgspec.Meta(description=STATUS_DESCRIPTION)] = None


@patch(
    PATH + "/{activity_id:str}",
    operation_id="UpdateActivity",
    tags=["activities"],
    summary="Record a call's end time, duration, subject, comment or status; absent ones stay.",
    opt=hook("UpdateActivity"),
    responses=hook_responses(has_body=True),
)
async def update_activity(
    graphql: HookClient,
    activity_id: ActivityIdParameter,
    data: Annotated[UpdateActivityRequest | None, ActivityBody] = None,
) -> ActivityId:
    record = read_id(activity_id, "activity_id")
    body = data or UpdateActivityRequest()
    changes = {
        "endedAt": body.call_end,
        "duration": body.call_duration,
        "subject": body.subject,
        "comment": body.comment,
        "status": body.status,
    }
    answer = await graphql.run(UPDATE_ACTIVITY_MUTATION, {"id": record, "input": present(changes)})
    return ActivityId(answer["updateActivity"]["id"])


# --- UpdateActivityStatus ----------------------------------------------------------


class UpdateActivityStatusRequest(lenient.LenientBody):
    status: Annotated[
        lenient.Status, lenient.REQUIRED, msgspec.Meta(description=STATUS_DESCRIPTION)
    ] = None


@put(
    PATH + "/{activity_id:str}/status",
    operation_id="UpdateActivityStatus",
    tags=["activities"],
    summary="Move a call to a status; a repeated or late status changes nothing, "
    "an impossible one answers 409.",
    opt=hook("UpdateActivityStatus"),
    responses=hook_responses(has_body=True),
)
async def update_activity_status(
    graphql: HookClient,
    activity_id: ActivityIdParameter,
    data: Annotated[UpdateActivityStatusRequest | None, ActivityBody] = None,
) -> ActivityId:
    record = read_id(activity_id, "activity_id")
    body = data or UpdateActivityStatusRequest()
    variables = {"id": record, "status": body.status}
    answer = await graphql.run(SET_ACTIVITY_STATUS_MUTATION, variables)
    return ActivityId(answer["setActivityStatus"]["id"])
