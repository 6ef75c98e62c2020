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
    ringotel_user_id = Varchar(length=64, null=True, default=None, index=True)
    """Ringotel's own id of this user, remembered from its webhook's call events."""
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
    party_e164 = Varchar(length=32, null=True, default=None)
    """The other party's number in E.164, when it can be told: which line the call was on."""
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    contact = ForeignKey(references=Contact, null=True, on_delete=OnDelete.set_null, index=True)
    company = ForeignKey(references=Company, null=True, on_delete=OnDelete.set_null, index=True)
    caller_match = Varchar(length=16, null=True, default=None)
    """How the contact or company was found (`crm.domain.activities.CallerMatch`)."""
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


class OAuthClient(Table, tablename="crm_oauth_client"):
    """An OAuth2 client (Ringotel, an internal tool); its id and secret also serve as Basic auth."""

    id = UUID(primary_key=True)
    client_id = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    secret_hash = Varchar(length=64, secret=True)  # HMAC-SHA256 hex of the secret
    redirect_uris = Text(default="")  # one exact URI per line
    scopes = Varchar(length=255, default="")  # space-separated
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table, tablename="crm_api_key"):
    """A Bearer API key; ``key_id`` is the public part that finds the row, the rest is hashed."""

    id = UUID(primary_key=True)
    key_id = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    secret_hash = Varchar(length=64, secret=True)
    scopes = Varchar(length=255, default="")
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuthorizationCode(Table, tablename="crm_oauth_code"):
    """A one-time authorization code, bound to its client, redirect URI and PKCE challenge."""

    id = UUID(primary_key=True)  # also the id of the refresh-token family it starts
    code_hash = Varchar(length=64, unique=True, secret=True)
    client = ForeignKey(references=OAuthClient, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    redirect_uri = Text()
    scopes = Varchar(length=255, default="")
    code_challenge = Varchar(length=128, null=True, default=None)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RefreshToken(Table, tablename="crm_refresh_token"):
    """One refresh token of a family; each use rotates it, a second use revokes the family."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    family = UUID(index=True)
    client = ForeignKey(references=OAuthClient, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.cascade, index=True)
    scopes = Varchar(length=255, default="")
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class TokenRevocation(Table, tablename="crm_token_revocation"):
    """A revoked access-token id (``jti``) or token family, kept until its tokens expire."""

    id = UUID(primary_key=True)
    token_id = Varchar(length=64, unique=True)
    expires_at = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class RateLimit(Table, tablename="crm_rate_limit"):
    """Failures counted per key (an address or a client) in a fixed time window."""

    id = UUID(primary_key=True)
    key = Varchar(length=255, unique=True)
    window_no = BigInt()  # epoch seconds // window length
    failures = Integer(default=0)


class Deletion(Table, tablename="crm_deletion"):
    """A deleted contact or company, kept so that an incremental sync learns of the deletion."""

    id = UUID(primary_key=True)  # the deleted record's id
    kind = Varchar(length=16)  # "contact" or "company"
    deleted_at = Timestamptz(default=TimestamptzNow(), index=True)


class WebhookEndpoint(Table, tablename="crm_webhook_endpoint"):
    """Where outbound webhooks go: a URL, the event types it wants, the secret that signs them."""

    id = UUID(primary_key=True)
    url = Varchar(length=2048)
    description = Varchar(length=200, default="")
    event_types = Text(default="")
    """The event types it wants, comma-separated (`crm.domain.webhooks.WebhookEventType`)."""
    secret = Text(secret=True)
    """`whsec_...`, encrypted (`crm.domain.secret_box`): signing (HMAC) needs it whole."""
    previous_secret = Text(null=True, default=None, secret=True)
    """The secret a rotation replaced, encrypted; it signs too until `previous_secret_until`."""
    previous_secret_until = Timestamptz(null=True, default=None)
    enabled = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WebhookMessage(Table, tablename="crm_webhook_message"):
    """The outbox: one event for one endpoint, written in the transaction of its change."""

    id = UUID(primary_key=True)
    webhook_id = Varchar(length=64, unique=True)
    """`msg_...`, the `webhook-id` header: the same on every attempt, for receivers' dedupe."""
    endpoint = ForeignKey(references=WebhookEndpoint, on_delete=OnDelete.cascade, index=True)
    event_type = Varchar(length=32)
    ordering_key = Varchar(length=64)
    """Messages with one key (a call) go out to one endpoint in the order they were written."""
    seq = Integer(default=0)
    """Position within its transaction, after `created_at`."""
    payload = Text()
    state = Varchar(length=16, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    retry_since = Timestamptz(default=TimestamptzNow())
    """Retries stop `CRM_WEBHOOK_RETRY_FOR_S` after this (written again on a replay)."""
    leased_by = Varchar(length=64, null=True, default=None)
    leased_until = Timestamptz(null=True, default=None)
    last_status = Integer(null=True, default=None)
    last_error = Varchar(length=500, null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookAttempt(Table, tablename="crm_webhook_attempt"):
    """One try at delivering a message: when, what came back, how long it took."""

    id = UUID(primary_key=True)
    message = ForeignKey(references=WebhookMessage, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    status_code = Integer(null=True, default=None)
    latency_ms = Integer(default=0)
    error = Varchar(length=500, null=True, default=None)
    response_excerpt = Varchar(length=500, null=True, default=None)


class ImportJob(Table, tablename="crm_import_job"):
    """A CSV import the console started, run in the background: where it stands, read by
    every worker and server (the page may ask any of them)."""

    id = UUID(primary_key=True)
    kind = Varchar(length=16)  # "contacts" or "companies"
    running_kind = Varchar(length=16, null=True, default=None, unique=True)
    """The kind while the job runs, NULL once it ended: one import of a kind at a time."""
    file_name = Varchar(length=255, default="")
    status = Varchar(length=16)  # "running", "done" or "failed"
    total = Integer(default=0)  # the file's lines after the header
    done = Integer(default=0)  # lines read so far
    imported = Integer(default=0)
    merged = Integer(default=0)
    rejected = Integer(default=0)
    started_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    heartbeat_at = Timestamptz(default=TimestamptzNow())
    """Touched while the job runs; a running job whose heartbeat is stale lost its server."""
    finished_at = Timestamptz(null=True, default=None)
    error = Varchar(length=500, null=True, default=None)


class ImportReject(Table, tablename="crm_import_reject"):
    """A row an import left out: its line in the file and why."""

    id = UUID(primary_key=True)
    job = ForeignKey(references=ImportJob, on_delete=OnDelete.cascade, index=True)
    line = Integer()
    reason = Text()


TABLES: tuple[type[Table], ...] = (
    User,
    Company,
    Contact,
    PhoneNumber,
    Activity,
    Recording,
    OAuthClient,
    ApiKey,
    AuthorizationCode,
    RefreshToken,
    TokenRevocation,
    RateLimit,
    Deletion,
    WebhookEndpoint,
    WebhookMessage,
    WebhookAttempt,
    ImportJob,
    ImportReject,
)
"""Every table of the app, in dependency order."""
