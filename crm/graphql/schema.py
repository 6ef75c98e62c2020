"""The Strawberry schema: every object's queries and mutations merged into one."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from crm.exception_text import describe
from crm.graphql.activities import ActivityMutation, ActivityQuery
from crm.graphql.call_reports import CallReportMutation
from crm.graphql.companies import CompanyMutation, CompanyQuery
from crm.graphql.contacts import ContactMutation, ContactQuery
from crm.graphql.credentials import CredentialMutation, CredentialQuery
from crm.graphql.deletions import DeletionQuery
from crm.graphql.errors import CrmMaskErrors, should_mask
from crm.graphql.events import Subscription
from crm.graphql.import_jobs import ImportJobQuery
from crm.graphql.limits import CheckedValidationCache, QueryLimits
from crm.graphql.lookup import LookupQuery
from crm.graphql.recordings import RecordingMutation
from crm.graphql.users import UserMutation, UserQuery
from crm.graphql.webhooks import WebhookMutation, WebhookQuery

Query = merge_types(
    "Query",
    (
        UserQuery,
        CompanyQuery,
        ContactQuery,
        ActivityQuery,
        LookupQuery,
        DeletionQuery,
        WebhookQuery,
        CredentialQuery,
        ImportJobQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        UserMutation,
        CompanyMutation,
        ContactMutation,
        ActivityMutation,
        CallReportMutation,
        RecordingMutation,
        WebhookMutation,
        CredentialMutation,
    ),
)


log = logging.getLogger("crm.graphql")


class CrmSchema(strawberry.Schema):
    """The schema, logging only unexpected errors: a client's mistake is not ours.

    Strawberry's own logging prints the error with the lines of the document around
    it, where a password or a token may be written inline; the variables may hold
    them too. Ours names the operation, the field path and the exception with its
    traceback: neither the document nor the variables are logged.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        operation = (execution_context.operation_name if execution_context else None) or "-"
        for error in errors:
            if not should_mask(error):
                continue
            original = error.original_error
            path = ".".join(str(step) for step in error.path or ()) or "-"
            log.error(
                "unexpected error in GraphQL operation %s at %s: %s",
                operation,
                path,
                describe(original),
            )


schema = CrmSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
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
