"""The Ringotel hooks with input at the edge: times Python cannot shift to UTC, cursors the
API never made, and bodies no JSON parser should follow. Each is a 4xx naming the problem
(and the field), never a 500, and nothing is written."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from crm.tables import Activity, Contact

EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    -1,
    253_402_300_800_000,  # epoch ms of the year 10000
    "1e400",
]
NO_ID = "00000000-0000-0000-0000-000000000000"
HOOKS = ["/ringotel/v1/activities", "/ringotel/v1/contacts", f"/ringotel/v1/activities/{NO_ID}"]


def cursor_of(time: str) -> str:
    payload = json.dumps([time, NO_ID]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


async def send_body(client: httpx.AsyncClient, path: str, body: bytes) -> httpx.Response:
    """`body` as JSON to the hook at `path`: a PATCH for one activity, else a POST."""
    method = "PATCH" if path.endswith(NO_ID) else "POST"
    headers = {"Content-Type": "application/json"}
    return await client.request(method, path, content=body, headers=headers)


async def assert_nothing_written() -> None:
    assert await Activity.count() == 0
    assert await Contact.count() == 0


@pytest.mark.parametrize("path", ["/ringotel/v1/contacts", "/ringotel/v1/companies"])
@pytest.mark.parametrize(
    ("parameter", "value"),
    [pytest.param("updated_since", str(t), id=f"updated_since={t}") for t in EDGE_TIMES]
    + [pytest.param("cursor", cursor_of(str(t)), id=f"cursor-of={t}") for t in EDGE_TIMES[:2]],
)
async def test_a_time_out_of_range_in_updated_since_or_a_cursor_is_a_422_naming_that_parameter(
    client: httpx.AsyncClient, path: str, parameter: str, value: str
) -> None:
    response = await client.get(path, params={parameter: value})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == parameter


@pytest.mark.parametrize("time", EDGE_TIMES)
async def test_call_start_out_of_range_is_a_422_and_no_call_is_logged(
    client: httpx.AsyncClient, time: object
) -> None:
    response = await client.post(
        "/ringotel/v1/activities",
        json={"call_id": "c-1", "direction": "inbound", "call_start": time},
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "call_start"
    assert await Activity.count() == 0


@pytest.mark.parametrize("time", EDGE_TIMES)
async def test_call_end_out_of_range_is_a_422_and_the_call_stays(
    client: httpx.AsyncClient, time: object
) -> None:
    created = await client.post(
        "/ringotel/v1/activities", json={"call_id": "c-1", "direction": "inbound"}
    )
    activity_id = created.json()["id"]
    before = await Activity.select().first()
    response = await client.patch(f"/ringotel/v1/activities/{activity_id}", json={"call_end": time})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "call_end"
    assert await Activity.select().first() == before


@pytest.mark.parametrize("path", HOOKS)
@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"call_id": ' + b"[" * 100_000 + b"}", b'{"a": ' * 100_000],
    ids=["array", "in-a-field", "object"],
)
async def test_a_body_nested_too_deeply_is_a_400_saying_so(
    client: httpx.AsyncClient, path: str, body: bytes
) -> None:
    response = await send_body(client, path, body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["error"] == "BAD_REQUEST"
    assert answer["message"] == "the JSON body is nested too deeply", answer
    await assert_nothing_written()


@pytest.mark.parametrize("path", HOOKS)
@pytest.mark.parametrize(
    "body",
    [
        b'{"call_id": "\xff\xfe", "direction": "in"}',
        b'{"firstname": "\xc3\x28"}',
        b'{"firstname": "\xed\xa0\x80"}',
    ],
    ids=["bad-bytes", "truncated-sequence", "surrogate"],
)
async def test_a_body_that_is_not_utf8_is_a_400_saying_so(
    client: httpx.AsyncClient, path: str, body: bytes
) -> None:
    response = await send_body(client, path, body)
    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["message"], response.text
    await assert_nothing_written()
