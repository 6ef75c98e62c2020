"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State

from crm.db import is_database_unavailable, ping


@get("/health", tags=["health"], operation_id="health", summary="The process is up.")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    tags=["health"],
    operation_id="ready",
    summary="The database answers (503 with the reason when it does not).",
)
async def ready(state: State) -> Response[dict[str, Any]]:
    try:
        await ping(state.engine)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        return Response(
            {"status": "unavailable", "reason": f"database: {type(exc).__name__}"},
            status_code=503,
        )
    return Response({"status": "ok"})
