"""The Strawberry schema: every object's queries and mutations merged into one."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from crm.graphql.activities import ActivityMutation, ActivityQuery
from crm.graphql.companies import CompanyMutation, CompanyQuery
from crm.graphql.contacts import ContactMutation, ContactQuery
from crm.graphql.deletions import DeletionQuery
from crm.graphql.errors import CrmMaskErrors, should_mask
from crm.graphql.limits import CheckedValidationCache, QueryLimits
from crm.graphql.lookup import LookupQuery
from crm.graphql.recordings import RecordingMutation
from crm.graphql.users import UserMutation, UserQuery

Query = merge_types(
    "Query",
    (UserQuery, CompanyQuery, ContactQuery, ActivityQuery, LookupQuery, DeletionQuery),
)
Mutation = merge_types(
    "Mutation",
    (UserMutation, CompanyMutation, ContactMutation, ActivityMutation, RecordingMutation),
)


class CrmSchema(strawberry.Schema):
    """The schema, logging only unexpected errors: a client's mistake is not ours."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [error for error in errors if should_mask(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = CrmSchema(
    query=Query,
    mutation=Mutation,
    # Parsing and validating a document costs more than running a small one: a client
    # sends the same few documents again and again, so each is parsed and validated once
    # (the caches are shared between the per-request extension instances). The caller's
    # limits come first: a document is measured before it is parsed (QueryLimits parses
    # it, cached) and before it is validated.
    extensions=[
        CrmMaskErrors,
        QueryLimits,
        lambda: CheckedValidationCache(maxsize=256),
    ],
)
