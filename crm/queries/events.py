"""The statement that carries a live event to every worker: PostgreSQL's NOTIFY."""

from __future__ import annotations

from piccolo.querystring import QueryString

from crm.engine import current_engine


async def notify(channel: str, payload: str) -> None:
    """`pg_notify(channel, payload)` on a pooled connection; every listener hears it."""
    await current_engine().run_querystring(
        QueryString("SELECT pg_notify({}, {})", channel, payload)
    )
