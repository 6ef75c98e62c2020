"""The integration JSON: served and written by the command alike, per auth mode, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from crm.cli import main
from facade.ringotel.hooks import HOOK
from facade.ringotel.table import ROUTES

MODES = ["bearer", "basic", "oauth2"]


async def test_document_defaults_to_bearer_and_describes_every_hook(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/ringotel/integration.json")
    assert response.status_code == 200
    document = response.json()
    assert document["class"] == "crm"
    assert document["url"] == "http://crm.test"
    assert document["id"] == "ringotel-crm"
    assert document["logo"] == "http://crm.test/ringotel/logo.svg"
    assert document["auth"] == {"type": "Bearer", "token": "$API key$"}
    assert document["properties"] == ["API key"]
    assert list(document["API"]) == [r.opt[HOOK].name for r in ROUTES if HOOK in r.opt]
    for name, entry in document["API"].items():
        assert entry["request_path"].startswith("/ringotel/v1/"), name
        assert entry["request_method"] in {"GET", "POST", "PUT", "PATCH"}, name
        assert "response_map" in entry, name


async def test_basic_block_is_ringotels_form(client: httpx.AsyncClient) -> None:
    document = (await client.get("/ringotel/integration.json?auth=basic")).json()
    assert document["auth"] == {"type": "Basic", "username": "$Username$", "password": "$Password$"}
    assert document["properties"] == ["Username", "Password"]


async def test_oauth2_block_points_at_this_crms_endpoints(client: httpx.AsyncClient) -> None:
    document = (await client.get("/ringotel/integration.json", params={"auth": "OAuth2"})).json()
    assert "auth" not in document
    oauth = document["OAuth2"]
    assert oauth["client_id"] == "$Client ID$"
    assert oauth["client_secret"] == "$Client Secret$"
    assert oauth["flow_type"] == {"default": "0"}
    assert oauth["authorization_endpoint"] == "http://crm.test/oauth/authorize"
    assert oauth["token_endpoint"] == "http://crm.test/oauth/token"
    assert oauth["authorization_parameters"] == {"default": "scope=ringotel"}
    assert oauth["token_parameters"] == {
        "content_type": "application/x-www-form-urlencoded;charset=utf-8"
    }
    assert oauth["request_auth"] == "Bearer"
    assert document["properties"] == ["Client ID", "Client Secret"]


async def test_unknown_auth_mode_is_a_bad_request_naming_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/ringotel/integration.json?auth=kerberos")
    assert response.status_code == 400
    assert response.json()["field"] == "auth"


@pytest.mark.parametrize("mode", MODES)
async def test_command_writes_the_document_the_app_serves(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("CRM_PUBLIC_URL", "http://crm.test")
    out = tmp_path / "ringotel.json"
    result = CliRunner().invoke(main, ["ringotel-json", "--auth", mode, "--output", str(out)])
    assert result.exit_code == 0, result.output
    served = (await client.get(f"/ringotel/integration.json?auth={mode}")).json()
    assert json.loads(out.read_text()) == served


def test_command_prints_to_stdout_and_refuses_unknown_modes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_PUBLIC_URL", "https://crm.example.com/")
    printed = CliRunner().invoke(main, ["ringotel-json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["url"] == "https://crm.example.com"
    refused = CliRunner().invoke(main, ["ringotel-json", "--auth", "kerberos"])
    assert refused.exit_code != 0
    assert "kerberos" in refused.output


async def test_name_id_and_logo_are_settings(tmp_path: Path) -> None:
    from facade.ringotel.integration import integration_document
    from tests.conftest import make_settings

    settings = make_settings(
        tmp_path,
        integration_id="acme-crm",
        integration_name="Acme CRM",
        integration_logo_url="https://cdn.example.com/acme.png",
    )
    document = integration_document(settings)
    assert (document["id"], document["name"], document["logo"]) == (
        "acme-crm",
        "Acme CRM",
        "https://cdn.example.com/acme.png",
    )


@pytest.mark.parametrize("mode", MODES)
async def test_document_carries_no_secret(
    client: httpx.AsyncClient, settings: object, mode: str
) -> None:
    text = (await client.get(f"/ringotel/integration.json?auth={mode}")).text
    assert "test-secret-key" not in text
    assert "password_hash" not in text


async def test_logo_is_served_as_svg(client: httpx.AsyncClient) -> None:
    response = await client.get("/ringotel/logo.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.lstrip().startswith("<svg")
