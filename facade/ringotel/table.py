"""The route table: every Ringotel route in the order of Ringotel's workflow, the
operations they run, and the router that serves them."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler

from facade.operations import Operation
from facade.ringotel import activities, companies, contacts, recordings, users, webhook
from facade.ringotel.client import hook_client
from facade.ringotel.hooks import before_hook

ROUTES: tuple[HTTPRouteHandler, ...] = (
    users.users,
    contacts.contacts,
    companies.organizations,
    contacts.find_contact,
    contacts.create_contact,
    contacts.update_contact,
    activities.create_activity,
    activities.assign_activity,
    activities.update_activity,
    activities.update_activity_status,
    recordings.upload_recording,
    recordings.download_recording,
)
"""The integration JSON lists the published hooks in this order."""

WEBHOOK_ROUTES: tuple[HTTPRouteHandler, ...] = (webhook.ringotel_webhook,)
"""Ringotel's Webhook integration: beside the hooks, and no part of the integration JSON."""

OPERATIONS: tuple[Operation, ...] = (
    users.USERS_QUERY,
    contacts.CONTACTS_QUERY,
    companies.COMPANIES_QUERY,
    contacts.FIND_CONTACT_QUERY,
    contacts.CREATE_CONTACT_MUTATION,
    contacts.CONTACT_PHONES_QUERY,
    contacts.UPDATE_CONTACT_MUTATION,
    activities.CREATE_ACTIVITY_MUTATION,
    activities.ASSIGN_ACTIVITY_MUTATION,
    activities.UPDATE_ACTIVITY_MUTATION,
    activities.SET_ACTIVITY_STATUS_MUTATION,
    webhook.START_CALL_MUTATION,
    webhook.END_CALL_MUTATION,
)
"""Every operation the routes run, prepared when the app is built."""


def ringotel_router() -> Router:
    """The Ringotel routes, each given the GraphQL client of its request's caller."""
    return Router(
        path="/",
        route_handlers=[*ROUTES, *WEBHOOK_ROUTES],
        dependencies={"graphql": Provide(hook_client)},
        before_request=before_hook,
    )
