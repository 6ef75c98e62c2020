"""Ringotel's Webhook integration: `StartCallActivity` and `StopCallActivity`, POSTed as
calls start and end, beside the JSON framework's hooks (contract, section 5).

It is no hook of the integration JSON: Ringotel's admin enters its URL in the portal
(Organization, Integrations, Webhook). Its credential travels in the body
(`api_token`, an API key with the `ringotel` scope), so the route is open to the auth
middleware and checks the token itself, counting a wrong one as a wrong Bearer key is
counted. Values are read only once the token is accepted: a stranger learns nothing
of what the CRM would make of them.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body

from crm.domain.errors import DomainError
from crm.domain.principal import Scope
from facade import lenient
from facade.auth.guards import require
from facade.auth.limits import client_address
from facade.auth.middleware import PRINCIPAL_KEY, Authenticator
from facade.openapi import OpenOperation, error_responses
from facade.operations import Operation
from facade.ringotel.client import HookCore, hook_client
from facade.ringotel.field_names import RINGOTEL_NAMES
from facade.ringotel.hooks import present

log = logging.getLogger("crm.facade")

PATH = "/ringotel/webhook"
MAX_BODY_BYTES = 64 * 1024
"""An event is a few hundred bytes; a larger body is no event (413)."""

START_CALL_MUTATION = Operation(
    "RingotelStartCall",
    """
    mutation RingotelStartCall($input: CallReportInput!) {
      startCall(input: $input) { created activity { id } }
    }
    """,
)

END_CALL_MUTATION = Operation(
    "RingotelEndCall",
    """
    mutation RingotelEndCall($input: CallReportInput!) {
      endCall(input: $input) { created activity { id } }
    }
    """,
)

OPERATIONS = {"StartCallActivity": START_CALL_MUTATION, "StopCallActivity": END_CALL_MUTATION}
"""The operation each method runs; any other method is answered 200 and ignored."""

PARAM_NAMES = {
    **RINGOTEL_NAMES,
    "direction": "activity_type",
    "endCause": "call_cause",
    "ringotelUserId": "user_id",
}
"""The name under `params` of a value an error names: the facade's one table of Ringotel
names, and the webhook's own words where they differ from the JSON framework's."""


class CallParams(msgspec.Struct, kw_only=True):
    """`params` of a call event, as Ringotel sends them."""

    call_id: Annotated[
        lenient.Text,
        lenient.REQUIRED,
        msgspec.Meta(description="Ringotel's id of the call, shared with the JSON framework's."),
    ] = None
    activity_type: Annotated[
        lenient.Direction,
        lenient.REQUIRED,
        msgspec.Meta(description="inbound or outbound (in, out, incoming, outgoing)."),
    ] = None
    caller_number: Annotated[lenient.Phone, msgspec.Meta(description="Who placed the call.")] = None
    called_number: Annotated[
        lenient.Phone, msgspec.Meta(description="Who was called (inbound: maybe the extension).")
    ] = None
    call_start: Annotated[
        lenient.Timestamp, msgspec.Meta(description="When the call started: epoch ms.")
    ] = None
    call_end: Annotated[
        lenient.Timestamp, msgspec.Meta(description="When it ended (StopCallActivity): epoch ms.")
    ] = None
    call_duration: Annotated[
        lenient.Duration, msgspec.Meta(description="Seconds of conversation; 0: unanswered.")
    ] = None
    call_cause: Annotated[
        lenient.Text, msgspec.Meta(description="Why the call ended, as Ringotel says it.")
    ] = None
    extension: Annotated[
        lenient.Text, msgspec.Meta(description="The Ringotel user's extension: the agent.")
    ] = None
    user_id: Annotated[
        lenient.Text, msgspec.Meta(description="Ringotel's id of that user, remembered.")
    ] = None
    connection_name: Annotated[
        lenient.Text, msgspec.Meta(description="Ringotel's connection (not kept).")
    ] = None
    connection_id: Annotated[lenient.Text, msgspec.Meta(description="Its id (not kept).")] = None
    domain: Annotated[
        lenient.Text, msgspec.Meta(description="Ringotel's organization (not kept).")
    ] = None


class CallEventBody(msgspec.Struct, kw_only=True):
    """One webhook event: the method, the token the admin entered, and the call."""

    method: Annotated[
        lenient.Text,
        msgspec.Meta(description="StartCallActivity or StopCallActivity; others are ignored."),
    ] = None
    api_token: Annotated[
        lenient.Text,
        msgspec.Meta(description="An API key with the ringotel scope (`crm apikey create`)."),
    ] = None
    params: CallParams | None = None


class WebhookAnswer(msgspec.Struct):
    """The activity an event logged, or that the event was ignored."""

    id: str | None = None
    """The activity's id; `null` for an ignored method."""
    ignored: bool = False


def call_input(params: CallParams) -> dict[str, Any]:
    """The `CallReportInput` of an event's params, without the absent values."""
    return present(
        {
            "callId": params.call_id,
            "direction": params.activity_type,
            "fromNumber": params.caller_number,
            "toNumber": params.called_number,
            "startedAt": params.call_start,
            "endedAt": params.call_end,
            "duration": params.call_duration,
            "endCause": params.call_cause,
            "extension": params.extension,
            "ringotelUserId": params.user_id,
        }
    )


def _webhook_responses() -> dict[int, ResponseSpec]:
    """The errors the webhook may answer, and the 200 of an event that created nothing."""
    responses = error_responses(400, 403, 413, 422, 429, 503)
    responses[200] = ResponseSpec(
        WebhookAnswer,
        description="The call was already logged (by either integration): its id; or the "
        "method is none the CRM reads: `ignored`.",
        generate_examples=False,
    )
    return responses


@post(
    PATH,
    operation_id="RingotelWebhook",
    tags=["webhook"],
    summary="Ringotel's Webhook integration: a call started or ended. A call already "
    "logged (by either integration) answers 200 with its id.",
    status_code=201,
    operation_class=OpenOperation,
    request_max_body_size=MAX_BODY_BYTES,
    responses=_webhook_responses(),
)
async def ringotel_webhook(
    request: Request[Any, Any, Any],
    authenticator: Authenticator,
    hook_core: HookCore,
    data: Annotated[
        CallEventBody | None, Body(description="The event, as Ringotel posts it.")
    ] = None,
) -> Response[WebhookAnswer]:
    event = data or CallEventBody()
    # An unfilled `$api_token$` is no token at all, as any absent value: not a failed guess.
    absent = not isinstance(event.api_token, str) or lenient.is_absent(event.api_token)
    token = "" if absent else str(event.api_token).strip()
    found = await authenticator.api_key(token, client_address(request.scope)) if token else None
    request.scope[PRINCIPAL_KEY] = require(found, Scope.RINGOTEL)  # type: ignore[literal-required]
    method = lenient.required(lenient.text(event.method, "method"), "method")
    operation = OPERATIONS.get(method)
    if operation is None:
        log.info("Ringotel webhook: method %r ignored", method[:64])
        return Response(WebhookAnswer(ignored=True), status_code=200)
    params = event.params or CallParams()
    graphql = await hook_client(request, hook_core)
    try:
        lenient.read_fields(params)
        answer = await graphql.run(operation, {"input": call_input(params)})
    except DomainError as error:
        if error.field is not None:
            error.field = "params." + PARAM_NAMES.get(error.field, error.field)
        raise
    logged = next(iter(answer.values()))
    return Response(
        WebhookAnswer(logged["activity"]["id"]), status_code=201 if logged["created"] else 200
    )
