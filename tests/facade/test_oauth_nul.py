"""A NUL character in an OAuth parameter is a bad request, not a 500 (PostgreSQL cannot
look it up). Found by schemathesis' 1,000-case run on PostgreSQL."""

from __future__ import annotations

import httpx
import pytest


async def test_suite_authorize_page_with_a_nul_in_client_id_is_a_400_page(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": "crmc_\x00x", "redirect_uri": "x"},
    )
    assert response.status_code == 400, response.text
    assert "NUL" in response.text


async def test_suite_authorize_form_with_a_nul_is_a_400_page(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(
        "/oauth/authorize",
        data={
            "response_type": "code",
            "client_id": "crmc_\x00",
            "redirect_uri": "x",
            "decision": "allow",
        },
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
async def test_suite_token_and_revoke_with_a_nul_are_invalid_request(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    response = await anonymous.post(
        path,
        data={
            "grant_type": "client_credentials",
            "token": "t",
            "client_id": "crmc_\x00",
            "client_secret": "s",
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
