"""Piccolo's app config for the CRM: its tables and where its migrations live."""

import os

from piccolo.conf.apps import AppConfig

from crm.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="crm",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
