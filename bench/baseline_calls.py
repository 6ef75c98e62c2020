"""The bare reference for call logging: Ringotel's three activity hooks on plain asyncpg.

Same paths and bodies as the CRM's CreateActivity, UpdateActivityStatus and
UpdateActivity, and the same rows: the agent read by extension, the caller's contact by
the CRM's match statement (decided as the CRM decides for one clear contact or one main
line), the `crm_activity` row inserted with the columns the CRM fills, then locked and
updated; and per request the read of enabled webhook endpoints (whether outbox rows are
due) and the `pg_notify` of the call event, which the CRM does as well. No auth, no
ORM, no GraphQL, no status rules beyond the two moves the benchmark makes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Response, patch, post, put
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler

from crm.domain.activities import party_e164
from crm.domain.lookup import LookupKey, LookupService
from crm.pg_events import CHANNEL
from crm.queries.lookup import match_statement

PATH = "/ringotel/v1/activities"
USER_BY_EXTENSION = "SELECT id FROM crm_user WHERE extension = $1 AND is_active"
ENDPOINTS = "SELECT id, event_types FROM crm_webhook_endpoint WHERE enabled"
INSERT = (
    "INSERT INTO crm_activity (id, call_id, direction, status, from_number, to_number,"
    ' party_e164, "user", contact, company, caller_match, started_at, created_at, updated_at)'
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)"
    " ON CONFLICT (call_id) DO NOTHING RETURNING id"
)
BY_CALL_ID = "SELECT id FROM crm_activity WHERE call_id = $1 FOR UPDATE"
LOCK = "SELECT id, status, started_at FROM crm_activity WHERE id = $1 FOR UPDATE"
ANSWER = "UPDATE crm_activity SET status = $2, answered_at = $3, updated_at = $3 WHERE id = $1"
END = (
    "UPDATE crm_activity SET status = $2, ended_at = $3, duration = $4, comment = $5,"
    " updated_at = $6 WHERE id = $1"
)


def _moment(epoch_ms: int | None) -> datetime:
    return datetime.now(UTC) if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC)


def _caller(rows: list[asyncpg.Record], key: LookupKey) -> tuple[Any, Any, str | None]:
    """(contact, company, caller_match): one clear contact, or one company's main line,
    when every match is on the whole number (not only its last digits)."""
    strong = set(key.e164) | set(key.national) | set(key.national_unplaced)
    if not rows or any(r["e164"] not in strong and r["national"] not in strong for r in rows):
        return None, None, None
    lines = {r["company"]: r["e164"] for r in rows if r["company"] is not None}
    own = {r["contact"]: r for r in rows if r["contact"] is not None}
    mine = [r for r in own.values() if r["e164"] not in lines.values()]
    if len(mine) == 1 and not lines:
        return mine[0]["contact"], mine[0]["contact__company"], "contact_number"
    if not mine and len(lines) == 1:
        return None, next(iter(lines)), "main_line"
    return None, None, None


async def _announce(conn: asyncpg.Connection, kind: str, activity: Any, user: Any) -> None:
    event = {"t": kind, "a": str(activity), "at": datetime.now(UTC).isoformat(), "u": user}
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, json.dumps(event))


def call_handlers(
    lookup: LookupService, region: str, numbered: Callable[[str], str]
) -> list[HTTPRouteHandler]:
    """The three hooks, on the pool in `state.pool`; `numbered` turns the CRM's `{}`
    placeholders into asyncpg's."""

    @post(PATH, status_code=201)
    async def create(data: dict[str, Any], state: State) -> Response[dict[str, str]]:
        theirs, ours = str(data.get("caller_number") or data["phone"]), data.get("called_number")
        started = _moment(data.get("call_start"))
        key = lookup.key(theirs)
        pool: asyncpg.Pool = state.pool
        async with pool.acquire() as conn:
            users = await conn.fetch(USER_BY_EXTENSION, ours) if ours else []
            user = users[0]["id"] if len(users) == 1 else None
            contact = company = match = None
            if key is not None:
                sql, args = match_statement(key)
                contact, company, match = _caller(await conn.fetch(numbered(sql), *args), key)
            async with conn.transaction():
                row_id = await conn.fetchval(
                    INSERT,
                    uuid.uuid4(),
                    data["call_id"],
                    "inbound",
                    data.get("status") or "ringing",
                    theirs,
                    ours,
                    party_e164("inbound", theirs, ours, region),
                    user,
                    contact,
                    company,
                    match,
                    started,
                    datetime.now(UTC),
                )
                created = row_id is not None
                if not created:
                    row_id = await conn.fetchval(BY_CALL_ID, data["call_id"])
                await conn.fetch(ENDPOINTS)
            await _announce(conn, "started", row_id, str(user) if user else None)
        return Response({"id": str(row_id)}, status_code=201 if created else 200)

    async def change(state: State, activity_id: uuid.UUID, kind: str, sql: str, *args: Any) -> None:
        """Lock the call, run the update `sql` on it, read the endpoints, announce `kind`."""
        pool: asyncpg.Pool = state.pool
        async with pool.acquire() as conn:
            async with conn.transaction():
                await conn.fetchrow(LOCK, activity_id)
                await conn.execute(sql, activity_id, *args)
                await conn.fetch(ENDPOINTS)
            await _announce(conn, kind, activity_id, None)

    @put(PATH + "/{activity_id:uuid}/status")
    async def status(activity_id: uuid.UUID, data: dict[str, Any], state: State) -> dict[str, str]:
        await change(state, activity_id, "answered", ANSWER, data["status"], datetime.now(UTC))
        return {"id": str(activity_id)}

    @patch(PATH + "/{activity_id:uuid}")
    async def update(activity_id: uuid.UUID, data: dict[str, Any], state: State) -> dict[str, str]:
        ended = _moment(data.get("call_end"))
        status = data.get("status") or "completed"
        duration, comment = data.get("call_duration"), data.get("comment")
        await change(
            state, activity_id, "ended", END, status, ended, duration, comment, datetime.now(UTC)
        )
        return {"id": str(activity_id)}

    return [create, status, update]
