"""Webhook signing secrets encrypted at rest, and a rotated-out secret kept for a while.

Existing secrets (plain `whsec_...`) are encrypted here as the live code seals them: a
Fernet token under a key derived with HKDF-SHA256 from the app's secret key
(`CRM_SECRET_KEY`, else its key file), frozen here so that a later change to the live
code cannot change what migrating an old database does. The column becomes TEXT on
PostgreSQL (a token is longer than 128 characters); SQLite does not enforce a length.
A raw step, since Piccolo cannot change a column's type on SQLite.
"""

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from crm.settings import load_settings

ID = "2026-12-04T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook secrets encrypted; the previous secret during a rotation's grace"

_PURPOSE = b"crm webhook signing secrets v1"


def _fernet(secret_key):
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


async def _encrypt_secrets():
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl("ALTER TABLE crm_webhook_endpoint ALTER COLUMN secret TYPE TEXT")
    rows = await engine.run_querystring(
        QueryString("SELECT id, secret FROM crm_webhook_endpoint WHERE secret LIKE 'whsec_%'")
    )
    if not rows:
        return
    fernet = _fernet(load_settings().signing_key())
    for row in rows:
        sealed = fernet.encrypt(row["secret"].encode()).decode("ascii")
        await engine.run_querystring(
            QueryString(
                "UPDATE crm_webhook_endpoint SET secret = {} WHERE id = {}", sealed, row["id"]
            )
        )


def _column(column_name, column_class, **params):
    return {
        "table_class_name": "WebhookEndpoint",
        "tablename": "crm_webhook_endpoint",
        "column_name": column_name,
        "db_column_name": column_name,
        "column_class_name": column_class.__name__,
        "column_class": column_class,
        "params": {
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            **params,
        },
        "schema": None,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)
    manager.add_raw(_encrypt_secrets)
    manager.add_column(**_column("previous_secret", Text, secret=True))
    manager.add_column(**_column("previous_secret_until", Timestamptz, secret=False))
    return manager
