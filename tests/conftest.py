"""Test set-up: a real database (SQLite, or PostgreSQL from CRM_TEST_DATABASE_URL),
migrated once per session with the project's migrations, emptied before each test,
and the real app from the factory, served in-process over HTTP.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

_tmp = Path(tempfile.mkdtemp(prefix="crm-tests-"))
DATABASE_URL = os.environ.get("CRM_TEST_DATABASE_URL") or f"sqlite:///{_tmp / 'test.sqlite'}"
# piccolo_conf (used by the migrations) reads the same variable the app does.
os.environ["CRM_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("CRM_SECRET_KEY", "test-secret-key-that-is-long-enough-for-hs256")

from crm.domain.principal import ALL_SCOPES  # noqa: E402
from crm.engine import bind_tables, make_engine  # noqa: E402
from crm.settings import Settings, load_settings  # noqa: E402
from crm.tables import TABLES  # noqa: E402
from facade.app import create_app  # noqa: E402

if TYPE_CHECKING:
    from tests.s3_server import S3Server

IS_POSTGRES = DATABASE_URL.startswith("postgres")
OAUTH_REDIRECT_URI = "https://ringotel.test/oauth/callback"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test app: the test database and a private recordings folder."""
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "recordings_url": f"file://{tmp_path / 'recordings'}",
        "public_url": "http://crm.test",
        "secret_key_file": tmp_path / "secret-key",
        # No webhook worker polling in the background: tests that count a request's
        # queries would count its claims too. tests/webhooks turns it on.
        "webhook_worker": False,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> None:
    """Apply the project's migrations once, as `crm migrate` does."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="crm")
    assert result.success, result.message


@pytest.fixture(autouse=True)
async def empty_database(migrated_database: None) -> None:
    """Every test starts from empty tables."""
    engine = make_engine(DATABASE_URL)
    bind_tables(engine)
    names = ", ".join(table._meta.tablename for table in TABLES)
    if IS_POSTGRES:
        await engine.run_ddl(f"TRUNCATE {names} CASCADE")
    else:
        for table in reversed(TABLES):
            await engine.run_ddl(f"DELETE FROM {table._meta.tablename}")  # noqa: S608 (our names)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3-compatible store (SeaweedFS) for the session; botocore finds its key in
    the environment, as a deployment's servers do."""
    from tests.s3_server import SeaweedFS, aws_credentials  # it starts servers as live_server does

    weed = SeaweedFS(tmp_path_factory.mktemp("s3"))
    try:
        server = weed.start()
        with pytest.MonkeyPatch.context() as patch:
            for name, value in aws_credentials().items():
                patch.setenv(name, value)
            yield server
    finally:
        weed.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def anonymous(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client with no credentials, talking to the real app over ASGI in its lifespan.

    The app runs on the test's own event loop, so the test may query the
    database through the same engine the app opened.
    """
    # Requests go to the app itself, not to LifespanManager's wrapper: the wrapper
    # shares one lifespan `state` dict between requests, where Litestar caches
    # each request's parsed body.
    asgi_app: Any = app  # Litestar is an ASGI app; its precise types differ from httpx's
    async with (
        LifespanManager(asgi_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app), base_url="http://crm.test"
        ) as http,
    ):
        yield http


async def full_access_key(app: Litestar) -> str:
    """A new API key holding every scope, for an app whose lifespan is running."""
    _, key = await app.state.services.credentials.create_api_key("tests", ALL_SCOPES)
    return str(key)


@pytest.fixture
async def api_key(anonymous: httpx.AsyncClient, app: Litestar) -> str:
    """An API key holding every scope, created the way `crm apikey create` does."""
    return await full_access_key(app)


@pytest.fixture
async def client(anonymous: httpx.AsyncClient, api_key: str) -> httpx.AsyncClient:
    """The fully-authorized client: every scope, by a Bearer API key sent with each request."""
    anonymous.headers["Authorization"] = f"Bearer {api_key}"
    return anonymous


@pytest.fixture
async def oauth_client(anonymous: httpx.AsyncClient, app: Litestar) -> tuple[str, str]:
    """An OAuth2 client with every scope: `(client_id, client_secret)`."""
    row, secret = await app.state.services.credentials.create_client(
        "tests", [OAUTH_REDIRECT_URI], ALL_SCOPES
    )
    return str(row.client_id), str(secret)


@pytest.fixture
async def basic_client(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> httpx.AsyncClient:
    """A client authenticating by HTTP Basic with an OAuth2 client's id and secret."""
    anonymous.auth = httpx.BasicAuth(*oauth_client)
    return anonymous


@pytest.fixture
async def jwt_client(
    anonymous: httpx.AsyncClient, oauth_client: tuple[str, str]
) -> httpx.AsyncClient:
    """A client sending a Bearer JWT from the client-credentials grant."""
    response = await anonymous.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(*oauth_client),
    )
    assert response.status_code == 200, response.text
    anonymous.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return anonymous
