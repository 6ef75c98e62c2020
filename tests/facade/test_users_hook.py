"""The Users hook: active users only, paged, with bad paging input refused by name."""

from __future__ import annotations

import httpx

from tests.facade.seed import make_user


async def test_users_lists_active_users_in_the_contract_shape(client: httpx.AsyncClient) -> None:
    ann = await make_user(
        client,
        "ann@example.com",
        firstName="Ann",
        lastName="Lee",
        phone="+1 555 010 2030",
        extension="101",
    )
    await make_user(client, "gone@example.com", isActive=False)
    response = await client.get("/ringotel/v1/users")
    assert response.status_code == 200
    assert response.json() == {
        "records": [
            {
                "id": ann["id"],
                "firstname": "Ann",
                "lastname": "Lee",
                "email": "ann@example.com",
                "phone": "+1 555 010 2030",
                "extension": "101",
            }
        ],
        "next_cursor": None,
    }


async def test_users_pages_with_limit_and_cursor_until_next_cursor_is_null(
    client: httpx.AsyncClient,
) -> None:
    ids = {(await make_user(client, f"u{i}@example.com"))["id"] for i in range(5)}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/ringotel/v1/users", params=params)).json()
        pages += 1
        seen += [record["id"] for record in body["records"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert pages == 3


async def test_users_reads_unfilled_placeholders_as_absent(client: httpx.AsyncClient) -> None:
    await make_user(client, "ann@example.com")
    response = await client.get(
        "/ringotel/v1/users", params={"limit": "$limit$", "cursor": "", "x": "$x$"}
    )
    assert response.status_code == 200
    assert len(response.json()["records"]) == 1


async def test_users_caps_a_limit_over_the_maximum(client: httpx.AsyncClient) -> None:
    await make_user(client, "ann@example.com")
    response = await client.get("/ringotel/v1/users", params={"limit": "100000"})
    assert response.status_code == 200


async def test_users_refuses_bad_limit_and_cursor_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    for params, field in [
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-ours"}, "cursor"),
    ]:
        response = await client.get("/ringotel/v1/users", params=params)
        assert response.status_code == 422, params
        assert response.json()["field"] == field
        assert response.json()["error"] == "VALIDATION"
