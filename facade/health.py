"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from crm.domain.errors import Unavailable
from crm.domain.services import Services
from crm.engine import is_database_unavailable, ping
from facade.openapi import OpenOperation


@get(
    "/health",
    tags=["health"],
    operation_id="health",
    summary="The process is up.",
    operation_class=OpenOperation,
)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    tags=["health"],
    operation_id="ready",
    summary="The database and the recording store answer (503 with the reason when one does not).",
    operation_class=OpenOperation,
    responses={
        503: ResponseSpec(
            dict[str, str],
            description="The database or the recording store does not answer: `status` and "
            "`reason`.",
            generate_examples=False,
        )
    },
)
async def ready(state: State) -> Response[dict[str, Any]]:
    try:
        await ping(state.engine)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        return _unavailable(f"database: {type(exc).__name__}")
    services: Services = state.services
    try:
        await services.storage.check()
    except Unavailable as exc:
        return _unavailable(f"recordings: {exc.message}")
    return Response({"status": "ok"})


def _unavailable(reason: str) -> Response[dict[str, Any]]:
    return Response({"status": "unavailable", "reason": reason}, status_code=503)
