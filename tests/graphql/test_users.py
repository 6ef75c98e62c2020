"""Users through /graphql: create, read, list, update, and bad input."""

from __future__ import annotations

import httpx

from crm.tables import User
from tests.graphql_client import every_page, gql, gql_errors, nodes

CREATE = """
mutation Create($input: CreateUserInput!) {
  createUser(input: $input) { id email firstName lastName phone extension isActive isAdmin }
}
"""


async def create_user(client: httpx.AsyncClient, **fields: object) -> dict[str, object]:
    payload = {"email": "ann@example.com", "password": "correct horse", **fields}
    data = await gql(client, CREATE, {"input": payload})
    user: dict[str, object] = data["createUser"]
    return user


async def test_create_user_stores_lowercased_email_and_hashed_password(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client, email="Ann@Example.COM", firstName="Ann", extension="101")
    assert user["email"] == "ann@example.com"
    assert user["firstName"] == "Ann"
    assert user["extension"] == "101"
    assert user["isActive"] is True
    row = await User.objects().where(User.email == "ann@example.com").first()
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert "correct horse" not in row.password_hash


USER_IDS = (
    "query($after: String) { users(first: 2, after: $after) "
    "{ nodes { id } pageInfo { endCursor hasNextPage } } }"
)


async def test_user_by_id_and_list_page_through_all(client: httpx.AsyncClient) -> None:
    ids = {str((await create_user(client, email=f"u{i}@example.com"))["id"]) for i in range(5)}
    pages = await every_page(client, USER_IDS, connection=["users"])
    seen = [node["id"] for node in nodes(pages)]
    assert sorted(seen) == sorted(ids)
    one = next(iter(ids))
    data = await gql(client, "query($id: ID!) { user(id: $id) { id } }", {"id": one})
    assert data["user"]["id"] == one


async def test_users_filtered_by_active(client: httpx.AsyncClient) -> None:
    await create_user(client, email="on@example.com")
    await create_user(client, email="off@example.com", isActive=False)
    data = await gql(client, "{ users(active: true) { nodes { email } } }")
    assert [node["email"] for node in data["users"]["nodes"]] == ["on@example.com"]


async def test_update_user_changes_only_given_fields(client: httpx.AsyncClient) -> None:
    user = await create_user(client, firstName="Ann", lastName="Lee")
    data = await gql(
        client,
        'mutation($id: ID!) { updateUser(id: $id, input: {lastName: "Smith", phone: null}) '
        "{ firstName lastName phone } }",
        {"id": user["id"]},
    )
    assert data["updateUser"] == {"firstName": "Ann", "lastName": "Smith", "phone": None}


async def test_duplicate_email_in_any_case_is_a_conflict(client: httpx.AsyncClient) -> None:
    await create_user(client, email="ann@example.com")
    errors = await gql_errors(
        client, CREATE, {"input": {"email": "ANN@example.com", "password": "another one"}}
    )
    assert errors[0]["extensions"] == {"code": "CONFLICT", "field": "email"}
    assert await User.count() == 1


async def test_bad_user_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    cases = [
        ({"email": "not-an-email", "password": "long enough"}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "long enough", "extension": "12a"}, "extension"),
        ({"email": "a@example.com", "password": "long enough", "phone": "call me"}, "phone"),
        (
            {"email": "a@example.com", "password": "long enough", "firstName": "x" * 101},
            "firstName",
        ),
    ]
    for payload, field in cases:
        errors = await gql_errors(client, CREATE, {"input": payload})
        assert errors[0]["extensions"]["code"] == "VALIDATION", payload
        assert errors[0]["extensions"]["field"] == field, payload
    assert await User.count() == 0


async def test_unknown_or_malformed_user_id_is_not_found(client: httpx.AsyncClient) -> None:
    for bad in ["00000000-0000-0000-0000-000000000000", "nope"]:
        errors = await gql_errors(client, "query($id: ID!) { user(id: $id) { id } }", {"id": bad})
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
