"""Piccolo's configuration, used by its migration tool and by `crm migrate`.

The engine comes from the same `CRM_DATABASE_URL` setting the app reads, so
`piccolo migrations ...` and `crm migrate` act on the database the app serves.
"""

from piccolo.conf.apps import AppRegistry

from crm.engine import make_engine
from crm.settings import load_settings

DB = make_engine(load_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["crm.piccolo_app"])
