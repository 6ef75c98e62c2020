"""Scenario 3: call logging through the REST facade against the same rows on plain asyncpg.

How it measures: on the larger data set (`options.sizes[1]` contacts, so that finding the
caller does real work), with 20 agents added (`add_agents` in `bench/generate.py`:
extensions 701 to 720), the CRM (the app factory under uvicorn, with an API key of the
`ringotel` scope) and the bare endpoint (`bench/baseline.py` with
`bench/baseline_calls.py`: the same paths, bodies and rows on asyncpg) are driven in turn
in the same rounds at each concurrency (`bench/load.py`). A unit of work is one call, as
Ringotel logs it: CreateActivity (`POST /ringotel/v1/activities`, an inbound call from a
stored number, digits without `+` as calls deliver them, to an agent's extension; the CRM
finds the agent by extension and the contact by number), UpdateActivityStatus (`PUT
.../status`, answered) and UpdateActivity (`PATCH ...`, end time, duration, comment,
completed), each waiting for the one before. Reported: calls per second (three requests
each), p50/p99 of a whole call, server CPU per call. Check: the CRM's calls/s at least 0.5
of the bare endpoint's at every concurrency (the worst is the value).

    python -m bench.scenarios.call_logging --sizes 10000 --duration 6
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid

import asyncpg

from bench.generate import AGENT_EXTENSIONS, add_agents, dataset_url, ensure
from bench.http import Client
from bench.load import Load, Work, drive_work, in_turns
from bench.results_model import Check, ScenarioResult, SuiteOptions
from bench.run import api_key, serve_on
from bench.scenarios.standalone import main

PATH = "/ringotel/v1/activities"
LIMIT = 0.5
NUMBERS = 2000


async def caller_numbers(database_url: str) -> list[str]:
    """Contacts' numbers as Ringotel sends them: digits with the country code, no `+`."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT e164 FROM crm_phone_number TABLESAMPLE SYSTEM (10) REPEATABLE (3)"
            " WHERE contact IS NOT NULL AND e164 IS NOT NULL LIMIT $1",
            NUMBERS,
        )
    finally:
        await conn.close()
    return [row["e164"][1:] for row in rows]


def call_work(numbers: list[str], tag: str) -> Work:
    """One call per unit: create, answered, ended; a unit fails unless all three do.
    Call ids are `tag` and a serial number, new for every call."""
    serial = itertools.count()

    async def one(client: Client, i: int) -> bool:
        number = numbers[i % len(numbers)]
        started = int(time.time() * 1000)
        create = {
            "call_id": f"{tag}-{next(serial)}",
            "direction": "inbound",
            "phone": number,
            "caller_number": number,
            "called_number": AGENT_EXTENSIONS[i % len(AGENT_EXTENSIONS)],
            "call_start": started,
            "status": "ringing",
        }
        status, body = await client.request("POST", PATH, json.dumps(create).encode())
        if status != 201:
            return False
        activity = json.loads(body)["id"]
        answered = json.dumps({"status": "answered"}).encode()
        status, _ = await client.request("PUT", f"{PATH}/{activity}/status", answered)
        if status != 200:
            return False
        ended = {
            "call_end": started + 60_000,
            "call_duration": 60,
            "comment": "Wants a quote",
            "status": "completed",
        }
        status, _ = await client.request("PATCH", f"{PATH}/{activity}", json.dumps(ended).encode())
        return status == 200

    return one


async def measure(options: SuiteOptions) -> ScenarioResult:
    contacts = options.sizes[1]
    url = dataset_url(options.server, options.prefix, contacts)
    await ensure(url, contacts)
    await add_agents(url)
    numbers = await caller_numbers(url)
    headers = {"Authorization": f"Bearer {api_key(url)}"}
    run = uuid.uuid4().hex[:8]  # call ids are unique across runs on one data set
    result = ScenarioResult("call_logging", f"Call logging, {contacts:,} contacts")
    ratios = []
    with (
        serve_on("facade.app:create_app", url) as crm,
        serve_on("bench.baseline:create_app", url) as bare,
    ):
        loads = [
            Load(crm, call_work(numbers, f"bench-crm-{run}"), headers),
            Load(bare, call_work(numbers, f"bench-bare-{run}")),
        ]
        for load, name in zip(loads, ("CRM", "asyncpg"), strict=True):
            lat, errors = await drive_work(load.server.port, load.work, 4, 1.0, load.headers)
            if errors or not lat:  # fills pools and caches, and proves the hooks work
                raise SystemExit(f"{name} did not log calls: {errors} of {len(lat)} failed")
        for concurrency in options.concurrency:
            crm_m, bare_m = await in_turns(loads, concurrency, options.rounds, options.duration)
            result.measurements += [
                crm_m.measurement(f"CRM, {contacts:,} contacts", concurrency, "calls/s"),
                bare_m.measurement(f"asyncpg, {contacts:,} contacts", concurrency, "calls/s"),
            ]
            ratios.append(crm_m.throughput / bare_m.throughput)
    result.checks.append(
        Check("CRM / asyncpg calls per second (worst)", min(ratios), LIMIT, at_least=True)
    )
    result.notes.append(
        "A call is three requests, each waiting for the one before; latency and server CPU"
        " are per call. Both sides also read the enabled webhook endpoints and NOTIFY the"
        " call event per request; only the CRM checks the API key."
    )
    return result


def run(options: SuiteOptions) -> ScenarioResult:
    """Scenario 3 of issue #16, measured."""
    return asyncio.run(measure(options))


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
