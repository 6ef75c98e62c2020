"""Schemathesis, with all its checks, against the real app and its own OpenAPI document.

Every operation of `/docs/openapi.json` is called with data generated from the
document (valid and invalid), authenticated with an API key holding every scope
and, for `ignored_auth`, without it; each answer must be one the document
describes (status, content type, headers, body schema), never a 500. The quick
form (25 cases per operation, derandomized) runs by default; the slow one
(`pytest -m slow`) runs 1,000 per operation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.testing import TestClient
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from crm.domain.config import DomainConfig
from crm.domain.principal import ALL_SCOPES
from crm.domain.services import Services
from facade.app import create_app
from tests.conftest import make_settings

# `ignored_auth` sends wrong credentials on every case; past the failure limit they are
# answered 429, which is right (tests/facade/test_rate_limits.py) but not what that check
# reads, so this app allows as many failures as the settings do.
SETTINGS = make_settings(
    Path(tempfile.mkdtemp(prefix="crm-schemathesis-")), auth_max_failures=100_000
)
APP = create_app(SETTINGS)
# A raw recording upload is sent as its bytes, whatever audio type it declares.
schemathesis.serializer.alias("audio/*", "application/octet-stream")


CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                # 422 names a value of the documented type that means nothing (a phone
                # number without digits, a status no call has, a time that is no time):
                # no JSON Schema states those, and the body says which field. 400 (a
                # malformed request) stays a failure for valid data.
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"],
            },
        },
        "operations": [
            {
                # An unknown client or redirect URI is answered with a page (400) and never
                # redirected (RFC 6749 §4.1.2.1); which client ids exist no schema can say.
                "include-path": "/oauth/authorize",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "400", "422", "429"],
                    }
                },
            }
        ],
    }
)
# The document as the app serves it (no lifespan is needed to read it); schemathesis
# starts the app's lifespan for each test and ends it afterwards.
document = TestClient(APP).get("/docs/openapi.json").json()
schema = schemathesis.openapi.from_dict(document, config=CONFIG)
schema.app = APP
OPEN = {
    (method.upper(), path)
    for path, item in document["paths"].items()
    for method, operation in item.items()
    if operation.get("security") == []
}
"""The operations the document declares open: they are called without credentials (an OAuth
endpoint reads `Authorization` as the client's own, so a stray API key would be a second way
of authenticating the client, which RFC 6749 §2.3 refuses)."""


@pytest.fixture
async def headers() -> dict[str, str]:
    """An API key with every scope, stored before the app sees it."""
    services = Services(DomainConfig.from_settings(SETTINGS))
    _, key = await services.credentials.create_api_key("schemathesis", ALL_SCOPES)
    return {"Authorization": f"Bearer {key}"}


def run(case: Case[Any], headers: dict[str, str] | None) -> None:
    if (case.method.upper(), case.path) in OPEN:
        headers = None
    case.call_and_validate(headers=headers)


QUICK: dict[str, Any] = {
    "derandomize": True,
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
}


@schema.parametrize()
@settings(max_examples=25, **QUICK)
def test_every_operation_answers_as_its_openapi_document_says(
    case: Case[Any], headers: dict[str, str]
) -> None:
    run(case, headers)


@schema.parametrize()
@settings(max_examples=5, **QUICK)
def test_every_operation_without_credentials_answers_as_its_openapi_document_says(
    case: Case[Any],
) -> None:
    run(case, None)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=1000, **QUICK)
def test_every_operation_answers_as_its_openapi_document_says_for_1000_cases(
    case: Case[Any], headers: dict[str, str]
) -> None:
    run(case, headers)
