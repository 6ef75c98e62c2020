"""A real server (uvicorn, the app factory, a loopback port) on the test database:
`/health` is answered while the most expensive query the limits allow is running."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from crm.graphql.core_schema import core_schema
from crm.graphql.limits import Budget, measure
from crm.graphql.schema import schema
from crm.tables import Company, Contact
from tests.conftest import DATABASE_URL

HOST = "127.0.0.1"
CONTACTS = 500
# The page size at its maximum, and as many fields as the default cost allows with it.
EXPENSIVE = (
    "{ contacts(first: 500) { nodes {"
    " id firstName lastName email jobTitle notes createdAt company { id } } } }"
)


def cost_of(query: str, budget: Budget) -> str | None:
    """The refusal `budget` gives `query`, if any."""
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    error = measure(core_schema(schema), operations, fragments, {}, budget)
    return error.message if error else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def live_server(tmp_path: Path, api_key: str) -> AsyncIterator[str]:
    """`uvicorn facade.app:create_app` on a free loopback port, on the test database."""
    port = free_port()
    env = {
        **os.environ,
        "CRM_DATABASE_URL": DATABASE_URL,
        "CRM_SECRET_KEY_FILE": str(tmp_path / "secret-key"),
        "CRM_RECORDINGS_URL": f"file://{tmp_path / 'recordings'}",
    }
    command = [sys.executable, "-m", "uvicorn", "facade.app:create_app", "--factory"]
    command += ["--host", HOST, "--port", str(port), "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)  # noqa: S603, ASYNC220 (our own command)
    base = f"http://{HOST}:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            for _ in range(300):  # until it listens (or exits)
                assert process.poll() is None, "the server exited"
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


async def seed(count: int) -> None:
    companies = [Company(name=f"Company {i}") for i in range(count // 10)]
    await Company.insert(*companies)
    await Contact.insert(
        *(
            Contact(
                first_name=f"First{i}",
                last_name=f"Last{i}",
                email=f"person{i}@example.com",
                job_title="Engineer",
                notes="Met at the fair. " * 4,
                company=companies[i % len(companies)].id,
            )
            for i in range(count)
        )
    )


async def test_live_server_health_answers_while_the_most_expensive_allowed_query_runs(
    live_server: str, api_key: str
) -> None:
    # The query is allowed, and one more field per contact would not be.
    assert cost_of(EXPENSIVE, Budget()) is None
    assert cost_of(EXPENSIVE.replace("notes", "notes updatedAt"), Budget())
    await seed(CONTACTS)

    async with (
        httpx.AsyncClient(
            base_url=live_server, headers={"Authorization": f"Bearer {api_key}"}, timeout=120
        ) as query_client,
        httpx.AsyncClient(base_url=live_server, timeout=120) as health_client,
    ):
        await health_client.get("/health")  # its connection open before the query starts
        finished: list[float] = []
        query = asyncio.create_task(query_client.post("/graphql", json={"query": EXPENSIVE}))
        query.add_done_callback(lambda _: finished.append(time.monotonic()))
        health_answered: list[float] = []
        while not query.done():
            response = await health_client.get("/health")
            assert response.status_code == 200
            health_answered.append(time.monotonic())
        result = await query

    assert result.status_code == 200, result.text
    body = result.json()
    assert "errors" not in body, body["errors"]
    assert len(body["data"]["contacts"]["nodes"]) == CONTACTS
    # /health was answered, more than once, before the query's answer came back
    before = [moment for moment in health_answered if moment < finished[0]]
    assert len(before) >= 2, (len(before), len(health_answered))
