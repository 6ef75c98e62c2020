"""The route table: every hook of the facade, in the order of Ringotel's workflow."""

from __future__ import annotations

from facade.ringotel.activities import (
    ASSIGN_ACTIVITY,
    CREATE_ACTIVITY,
    UPDATE_ACTIVITY,
    UPDATE_ACTIVITY_STATUS,
)
from facade.ringotel.companies import ORGANIZATIONS
from facade.ringotel.contacts import CONTACTS, CREATE_CONTACT, FIND_CONTACT, UPDATE_CONTACT
from facade.ringotel.hooks import Hook
from facade.ringotel.recordings import DOWNLOAD_RECORDING, UPLOAD_RECORDING
from facade.ringotel.users import USERS

HOOKS: tuple[Hook, ...] = (
    USERS,
    CONTACTS,
    ORGANIZATIONS,
    FIND_CONTACT,
    CREATE_CONTACT,
    UPDATE_CONTACT,
    CREATE_ACTIVITY,
    ASSIGN_ACTIVITY,
    UPDATE_ACTIVITY,
    UPDATE_ACTIVITY_STATUS,
    UPLOAD_RECORDING,
    DOWNLOAD_RECORDING,
)
