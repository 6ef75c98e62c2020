"""The call activity hooks: log a call, link it to a contact, update it, move its status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facade import lenient
from facade.ringotel.hooks import Hook, Input, Output

PATH = "/ringotel/v1/activities"
ACTIVITY_ID = Input(
    "activity_id",
    lenient.text,
    "The activity's id, as CreateActivity answered it.",
    where="path",
    target="id",
    required=True,
)
ANSWER = (Output("id", variable="activity_id"),)
STATUS = Input(
    "status",
    lenient.status,
    "ringing, answered, completed, missed, busy, failed, cancelled or voicemail (any case; "
    "synonyms such as no-answer or canceled are understood).",
    target="input.status",
)


def _other_party(values: dict[str, Any], _: Mapping[str, Any] | None) -> dict[str, Any]:
    """`phone` is the other party: the caller of an inbound call, the called of an outbound one."""
    if "phone" not in values:
        return {}
    side = "fromNumber" if values.get("direction") == "INBOUND" else "toNumber"
    sent = "caller_number" if side == "fromNumber" else "called_number"
    if sent in values:
        return {}  # the explicit number wins
    return {"input": {side: values["phone"]}}


CREATE_ACTIVITY = Hook(
    name="CreateActivity",
    method="POST",
    path=PATH,
    summary="Log a call. A call_id already logged answers 200 with the first activity's id.",
    tag="activities",
    operation="RingotelCreateActivity",
    inputs=(
        Input(
            "call_id",
            lenient.text,
            "Ringotel's id of the call: a retry with the same id returns the first activity.",
            target="input.callId",
            required=True,
        ),
        Input(
            "direction",
            lenient.direction,
            "inbound or outbound (in, out, incoming, outgoing are understood).",
            target="input.direction",
            required=True,
        ),
        Input("phone", lenient.phone, "The other party's number, in any format."),
        Input("caller_number", lenient.phone, "Who placed the call.", target="input.fromNumber"),
        Input("called_number", lenient.phone, "Who was called.", target="input.toNumber"),
        Input(
            "call_start",
            lenient.timestamp,
            "When the call started: epoch ms, epoch s or ISO 8601.",
            target="input.startedAt",
        ),
        Input("user_id", lenient.text, "The CRM user on the call.", target="input.userId"),
        Input("contact_id", lenient.text, "The contact called.", target="input.contactId"),
        STATUS,
        Input("subject", lenient.text, "A one-line subject.", target="input.subject"),
    ),
    variables=_other_party,
    result="createActivity.activity",
    outputs=ANSWER,
    status=201,
    created="createActivity.created",
)

ASSIGN_ACTIVITY = Hook(
    name="AssignActivity",
    method="PUT",
    path=PATH + "/{activity_id}/contact",
    summary="Link a call to a contact (and to the contact's company).",
    tag="activities",
    operation="RingotelAssignActivity",
    inputs=(
        ACTIVITY_ID,
        Input(
            "contact_id", lenient.text, "The contact to link.", target="contactId", required=True
        ),
    ),
    result="assignActivity",
    outputs=ANSWER,
)

UPDATE_ACTIVITY = Hook(
    name="UpdateActivity",
    method="PATCH",
    path=PATH + "/{activity_id}",
    summary="Record a call's end time, duration, subject, comment or status; absent ones stay.",
    tag="activities",
    operation="RingotelUpdateActivity",
    inputs=(
        ACTIVITY_ID,
        Input(
            "call_end",
            lenient.timestamp,
            "When the call ended: epoch ms, epoch s or ISO 8601.",
            target="input.endedAt",
        ),
        Input(
            "call_duration",
            lenient.duration,
            "Length of the call in seconds (a number or a numeric string).",
            target="input.duration",
        ),
        Input("subject", lenient.text, "A one-line subject.", target="input.subject"),
        Input("comment", lenient.text, "Notes on the call.", target="input.comment"),
        STATUS,
    ),
    variables=lambda values, _: {"input": {}},  # an update with nothing given changes nothing
    result="updateActivity",
    outputs=ANSWER,
)

UPDATE_ACTIVITY_STATUS = Hook(
    name="UpdateActivityStatus",
    method="PUT",
    path=PATH + "/{activity_id}/status",
    summary="Move a call to a status; a repeated or late status changes nothing, "
    "an impossible one answers 409.",
    tag="activities",
    operation="RingotelSetActivityStatus",
    inputs=(
        ACTIVITY_ID,
        Input(
            "status",
            lenient.status,
            STATUS.description,
            target="status",
            required=True,
        ),
    ),
    result="setActivityStatus",
    outputs=ANSWER,
)
