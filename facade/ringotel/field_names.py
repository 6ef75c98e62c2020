"""The one table from GraphQL's field names to the names Ringotel sends.

The facade is a GraphQL client: an error names the field in GraphQL's vocabulary
(`extensions.field`: `firstName`, `ownerId`, `phones.1.number`), and a Ringotel
client is told the name it sent (`firstname`, `user_id`, `mobile`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facade.ringotel.phone_kinds import MOBILE

RINGOTEL_NAMES = {
    "firstName": "firstname",
    "lastName": "lastname",
    "companyName": "company_name",
    "jobTitle": "job_title",
    "ownerId": "user_id",
    "userId": "user_id",
    "contactId": "contact_id",
    "callId": "call_id",
    "fromNumber": "caller_number",
    "toNumber": "called_number",
    "startedAt": "call_start",
    "endedAt": "call_end",
    "duration": "call_duration",
    "first": "limit",
    "after": "cursor",
    "updatedSince": "updated_since",
    "phones": "phone",
}
"""GraphQL's name of each value a hook sends, where Ringotel names it otherwise."""


def ringotel_name(graphql_field: str, variables: Mapping[str, Any], record_id: str | None) -> str:
    """The name a Ringotel client sent for `graphql_field`, given the variables sent.

    `id` is the record the route's path names (`contact_id`, `activity_id`); the N-th of
    `phones` is `mobile` or `phone` by the kind of the N-th number sent.
    """
    if graphql_field == "id" and record_id is not None:
        return record_id
    parts = graphql_field.split(".")
    if len(parts) >= 2 and parts[0] == "phones" and parts[1].isdigit():
        sent = (variables.get("input") or {}).get("phones") or []
        position = int(parts[1])
        is_mobile = position < len(sent) and sent[position].get("kind") == MOBILE
        return "mobile" if is_mobile else "phone"
    return RINGOTEL_NAMES.get(graphql_field, graphql_field)
