"""The Users hook: the CRM users Ringotel maps its own users onto."""

from __future__ import annotations

from facade.ringotel.hooks import Hook, Output
from facade.ringotel.paging import PAGE

USERS = Hook(
    name="Users",
    method="GET",
    path="/ringotel/v1/users",
    summary="Every active CRM user, each with a stable id, to map onto Ringotel users.",
    tag="users",
    operation="RingotelUsers",
    inputs=PAGE,
    result="users",
    shape="page",
    outputs=(
        Output("id", variable="user_id"),
        Output("firstname", "firstName", variable="firstname"),
        Output("lastname", "lastName", variable="lastname"),
        Output("email", variable="email"),
        Output("phone", variable="phone"),
        Output("extension", variable="extension"),
    ),
)
