"""A query parameter sent twice is refused naming it: the document declares one value each."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/ringotel/v1/contacts?limit=5&limit=50", "limit"),
        ("/ringotel/v1/users?cursor=a&cursor=b", "cursor"),
        ("/ringotel/v1/contacts/lookup?phone=%2B14155550100&phone=%2B14155550101", "phone"),
    ],
)
async def test_suite_a_hook_parameter_sent_twice_is_422_naming_it(
    client: httpx.AsyncClient, path: str, name: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == name


async def test_suite_the_integration_json_auth_sent_twice_is_400_naming_it(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get("/ringotel/integration.json?auth=basic&auth=bearer")
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "auth"


async def test_suite_a_parameter_sent_once_is_read(client: httpx.AsyncClient) -> None:
    response = await client.get("/ringotel/v1/contacts?limit=5")
    assert response.status_code == 200, response.text
