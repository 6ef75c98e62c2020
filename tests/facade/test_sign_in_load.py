"""Many wrong sign-ins at once: at most the limit reach Argon2, and the loop stays free."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from crm.domain.users import UserInput
from crm.settings import Settings
from tests.auth_tools import authorize_url, sign_in_form
from tests.conftest import make_settings
from tests.live_server import live_server

EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"
CONCURRENT = 60
LIMIT = 10
HEALTH_CHECKS = 20


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, auth_max_failures=LIMIT)


async def form_for_ann(http: httpx.AsyncClient, client_id: str) -> dict[str, str]:
    return await sign_in_form(http, authorize_url(client_id)) | {
        "email": EMAIL,
        "decision": "allow",
    }


async def test_sixty_concurrent_wrong_sign_ins_evaluate_at_most_the_limit(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))
    form = await form_for_ann(anonymous, oauth_client[0])
    passwords = app.state.services.passwords
    before = passwords.verifications

    async def wrong(attempt: int) -> int:
        answer = await anonymous.post("/oauth/authorize", data=form | {"password": f"no{attempt}"})
        return answer.status_code

    statuses = await asyncio.gather(*(wrong(attempt) for attempt in range(CONCURRENT)))
    evaluated = passwords.verifications - before
    assert evaluated <= LIMIT
    assert statuses.count(200) == evaluated  # each evaluated one: "wrong password" again
    assert statuses.count(429) == CONCURRENT - evaluated
    assert evaluated == LIMIT  # none lost either: the limit is used, not undercut


async def test_health_is_answered_while_sign_ins_hash_on_a_real_server(
    tmp_path: Path, app: Litestar, oauth_client: tuple[str, str]
) -> None:
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))
    # A limit above the load, so that every sign-in reaches Argon2 and the server is busy.
    env = {"CRM_AUTH_MAX_FAILURES": str(CONCURRENT * 2), "CRM_SECRET_KEY": app_key(app)}
    with live_server(tmp_path, **env) as server:
        limits = httpx.Limits(max_connections=CONCURRENT + 5)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as http:
            real_form = await form_for_ann(http, oauth_client[0])
            finished: list[str] = []
            first_done = asyncio.Event()

            async def wrong(attempt: int) -> None:
                data = real_form | {"password": f"wrong-{attempt}"}
                answer = await http.post("/oauth/authorize", data=data)
                assert answer.status_code == 200, answer.text
                finished.append("sign-in")
                first_done.set()

            load = [asyncio.create_task(wrong(attempt)) for attempt in range(CONCURRENT)]
            await first_done.wait()  # Argon2 is running now
            finished.append("asked")
            for _ in range(HEALTH_CHECKS):
                health = await http.get("/health")
                assert health.status_code == 200
            finished.append("health")
            await asyncio.gather(*load)
    # Argon2 off the loop: the health checks ran one after another while a few sign-ins
    # hashed. With Argon2 on the loop each check waited for a hash, and about as many
    # sign-ins ended meanwhile as there were checks.
    during = finished.index("health") - finished.index("asked") - 1
    assert during < HEALTH_CHECKS // 4, finished


def app_key(app: Litestar) -> str:
    """The signing key of the in-process app, so the server accepts what it issued."""
    current, keys = app.state.settings.jwt_signing_keys()
    key: Any = keys[current]
    return str(key)


async def test_a_good_sign_in_after_the_load_from_another_address_works(
    app: Litestar, anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> None:
    await app.state.services.users.create(UserInput(email=EMAIL, password=PASSWORD))
    form = await form_for_ann(anonymous, oauth_client[0])
    await asyncio.gather(
        *(anonymous.post("/oauth/authorize", data=form | {"password": "bad"}) for _ in range(20))
    )
    asgi_app: Any = app
    transport = httpx.ASGITransport(app=asgi_app, client=("192.0.2.9", 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://crm.test", cookies=anonymous.cookies
    ) as owner:
        answer = await owner.post("/oauth/authorize", data=form | {"password": PASSWORD})
    assert answer.status_code == 303
