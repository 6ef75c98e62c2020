"""The route table: every hook of the facade, in the order of Ringotel's workflow."""

from __future__ import annotations

from facade.ringotel.companies import ORGANIZATIONS
from facade.ringotel.contacts import CONTACTS, CREATE_CONTACT, UPDATE_CONTACT
from facade.ringotel.hooks import Hook
from facade.ringotel.users import USERS

HOOKS: tuple[Hook, ...] = (
    USERS,
    CONTACTS,
    ORGANIZATIONS,
    CREATE_CONTACT,
    UPDATE_CONTACT,
)
