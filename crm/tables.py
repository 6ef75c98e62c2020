"""Piccolo tables: the store behind the domain services.

Every table has a UUID primary key and UTC ``created_at``/``updated_at``.
Domain services are the only writers; they keep derived columns (the E.164 and
national forms of a number, lowercased emails) true.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="crm_user"):
    """A person who works in the CRM; Ringotel maps its users onto these."""

    id = UUID(primary_key=True)
    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    email = Varchar(length=255, unique=True)  # stored lowercased: unique case-insensitively
    phone = Varchar(length=64, null=True, default=None)
    phone_e164 = Varchar(length=32, null=True, default=None, index=True)
    extension = Varchar(length=16, null=True, default=None, index=True)
    is_active = Boolean(default=True)
    is_admin = Boolean(default=False)
    password_hash = Varchar(length=255, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class Company(Table, tablename="crm_company"):
    """An organisation; contacts belong to it and it may have its own numbers."""

    id = UUID(primary_key=True)
    name = Varchar(length=200, index=True)
    website = Varchar(length=255, null=True, default=None)
    address = Text(null=True, default=None)
    owner = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    # The name case-folded in Python, so that search and find-by-name ignore case alike on
    # both engines (SQLite's lower() folds ASCII only); indexed for find-by-name.
    search_text = Text(default="", index=True)


class Contact(Table, tablename="crm_contact"):
    """A person the organisation talks to."""

    id = UUID(primary_key=True)
    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    email = Varchar(length=255, null=True, default=None, index=True)  # lowercased
    job_title = Varchar(length=200, null=True, default=None)
    company = ForeignKey(references=Company, null=True, on_delete=OnDelete.set_null, index=True)
    owner = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    notes = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    # Full name and email case-folded in Python, for the text filter (see Company).
    # Not indexed: a match anywhere in the text (LIKE '%...%') reads every row anyway.
    search_text = Text(default="")


class PhoneNumber(Table, tablename="crm_phone_number"):
    """One number of a contact or of a company (exactly one of the two is set).

    ``e164``, ``national`` and ``suffix`` are derived from ``number`` and indexed,
    so that finding the owner of a number is an index seek in every tier.
    """

    id = UUID(primary_key=True)
    contact = ForeignKey(references=Contact, null=True, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(references=Company, null=True, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16, default="work")
    number = Varchar(length=64)  # as entered
    e164 = Varchar(length=32, null=True, default=None, index=True)
    national = Varchar(length=20, null=True, default=None, index=True)
    suffix = Varchar(length=8, null=True, default=None, index=True)
    extension = Varchar(length=16, null=True, default=None)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class Activity(Table, tablename="crm_activity"):
    """A call, as the phone system reported it."""

    id = UUID(primary_key=True)
    call_id = Varchar(length=128, unique=True)
    direction = Varchar(length=16)
    status = Varchar(length=16, index=True)
    from_number = Varchar(length=64, null=True, default=None)
    to_number = Varchar(length=64, null=True, default=None)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    contact = ForeignKey(references=Contact, null=True, on_delete=OnDelete.set_null, index=True)
    company = ForeignKey(references=Company, null=True, on_delete=OnDelete.set_null, index=True)
    subject = Varchar(length=255, null=True, default=None)
    comment = Text(null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    answered_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    duration = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class Recording(Table, tablename="crm_recording"):
    """The audio of one call; the bytes live in the recording storage under ``storage_key``."""

    id = UUID(primary_key=True)
    activity = ForeignKey(references=Activity, unique=True, on_delete=OnDelete.cascade)
    content_type = Varchar(length=100)
    size = BigInt()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=255)
    created_at = Timestamptz(default=TimestamptzNow())


class Deletion(Table, tablename="crm_deletion"):
    """A deleted contact or company, kept so that an incremental sync learns of the deletion."""

    id = UUID(primary_key=True)  # the deleted record's id
    kind = Varchar(length=16)  # "contact" or "company"
    deleted_at = Timestamptz(default=TimestamptzNow(), index=True)


TABLES: tuple[type[Table], ...] = (
    User,
    Company,
    Contact,
    PhoneNumber,
    Activity,
    Recording,
    Deletion,
)
"""Every table of the app, in dependency order."""
