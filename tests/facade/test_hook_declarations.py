"""The integration JSON against the routes it describes: every `$placeholder$` it fills
is a value its route reads, and every value its `response_map` reads is in what the
route really answers, along Ringotel's whole workflow."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar

from tests.audio_samples import wav
from tests.facade.ringotel import Ringotel
from tests.facade.seed import make_user

_PLACEHOLDER = re.compile(r"\$([^$/?&]+)\$")
READABLE = {"call_id": "c-1", "direction": "in", "status": "ringing", "contact_id": "c"}
"""Values every reader understands, for the fields a route requires beside the one tried."""


def placeholders(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """Each value of a hook's request Ringotel fills: where it goes, and its variable."""
    path, _, query = entry["request_path"].partition("?")
    found = [("path", m.group(1)) for m in _PLACEHOLDER.finditer(path)]
    found += [("query", m.group(1)) for m in _PLACEHOLDER.finditer(query)]
    found += [("body", name) for name in entry.get("request_body", {})]
    return found


def paths(template: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place a response_map reads a value from (`[]`: in each record of a list)."""
    if isinstance(template, dict):
        return [p for key, inner in template.items() for p in paths(inner, (*prefix, key))]
    if isinstance(template, list):
        return paths(template[0], (*prefix, []))
    return [prefix]


def present(body: Any, path: tuple[Any, ...]) -> bool:
    """Whether `path` is in `body`; through a list, in each of its items (at least one)."""
    if not path:
        return True
    step, rest = path[0], path[1:]
    if step == []:
        return isinstance(body, list) and bool(body) and all(present(i, rest) for i in body)
    return isinstance(body, dict) and step in body and present(body[step], rest)


async def test_every_placeholder_is_a_value_its_route_reads(client: httpx.AsyncClient) -> None:
    """Left unfilled, or filled with a value no reader accepts, each placeholder's value is
    refused by the route under the very name the document sends it as."""
    document = (await client.get("/ringotel/integration.json")).json()
    created = await client.post(
        "/ringotel/v1/activities", json={"call_id": "c-0", "direction": "in"}
    )
    some_id = created.json()["id"]  # a real activity: the upload looks it up before its body
    for hook, entry in document["API"].items():
        path = entry["request_path"].split("?")[0]
        readable = {k: v for k, v in READABLE.items() if k in entry.get("request_body", {})}
        for where, variable in placeholders(entry):
            request: dict[str, Any] = {}
            name = "file" if variable == "recording" else variable
            target = _PLACEHOLDER.sub(some_id, path)
            if where == "path":
                kept = f"${variable}$"  # left unfilled, as Ringotel leaves a value it lacks
                target = _PLACEHOLDER.sub(some_id, path.replace(kept, "\0")).replace("\0", kept)
                if entry.get("content_type") == "multipart/form-data":
                    request["files"] = {"file": ("call.wav", wav(), "audio/wav")}
                else:
                    request["json"] = readable
            elif where == "query":
                request["params"] = {variable: f"${variable}$"}
            elif entry.get("content_type") == "multipart/form-data":
                request["files"] = {"other": ("x.bin", b"x", "application/octet-stream")}
            else:
                request["json"] = {**readable, variable: True}
            response = await client.request(entry["request_method"], target, **request)
            answer = response.json()
            if response.status_code == 404:  # looked up: the upload reads its path as it is
                assert (where, answer["error"]) == ("path", "NOT_FOUND"), (hook, answer)
                assert f"${variable}$" in answer["message"], (hook, answer)
                continue
            assert response.status_code == 422, (hook, where, variable, response.text)
            assert answer["field"] == name, (hook, where, variable, response.text)


async def test_every_value_a_response_map_reads_is_in_the_real_answer(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient, app: Litestar
) -> None:
    document = (await anonymous.get("/ringotel/integration.json")).json()
    _, key = await app.state.services.credentials.create_api_key("Ringotel", ["ringotel"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:  # type: ignore[arg-type]
        ringotel = Ringotel(http, document, {"API key": str(key)})
        agent = await make_user(client, "agent@example.com", firstName="Ann", extension="101")
        ringotel.variables["user_id"] = agent["id"]
        answers: dict[str, Any] = {}

        async def call(hook: str, **values: Any) -> dict[str, Any]:
            answer = await ringotel.call(hook, **values)
            assert answer.response.status_code < 300, (hook, answer.response.text)
            body: dict[str, Any] = answer.response.json()
            answers[hook] = body
            ringotel.variables.update(answer.values)
            return body

        await call("Users")
        await call("CreateContact", firstname="Carol", phone="+12015550123", company_name="Acme")
        await call("UpdateContact", mobile="+12015550199", job_title="Buyer")
        await call("Contacts")
        await call("Organizations")
        await call("FindContact", phone="+12015550123")
        await call(
            "CreateActivity",
            call_id="c-1",
            direction="in",
            phone="+12015550123",
            call_start=1_796_040_005_000,
        )
        await call("AssignActivity")
        await call("UpdateActivityStatus", status="answered")
        await call("UpdateActivity", call_end=1_796_040_065_000, call_duration=60)
        await call("UploadRecording", files={"file": ("call.wav", wav(), "audio/wav")})

    assert set(answers) == set(document["API"]), "a hook of the document was not driven"
    for hook, entry in document["API"].items():
        for path in paths(entry["response_map"]):
            assert present(answers[hook], path), (hook, path, answers[hook])
