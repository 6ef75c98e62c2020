"""`crm webhook create/list/delete`, run in-process against the test database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crm.cli import main


def crm(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_create_prints_the_secret_once_list_hides_it_delete_removes_it() -> None:
    created = json.loads(
        crm(
            "webhook", "create", "--url", "https://hooks.example.com/crm",
            "--event", "call.started", "--event", "call.ended", "--json",
        )
    )  # fmt: skip
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["call.started", "call.ended"]
    listed = json.loads(crm("webhook", "list", "--json"))
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    assert created["secret"] not in crm("webhook", "list")
    crm("webhook", "delete", created["id"])
    assert json.loads(crm("webhook", "list", "--json")) == []
    assert crm("webhook", "list").strip() == "(none)"


def test_a_private_target_is_refused_with_one_line_naming_the_url() -> None:
    result = CliRunner().invoke(
        main, ["webhook", "create", "--url", "http://192.168.1.10/", "--event", "call.ended"]
    )
    assert result.exit_code == 1
    assert "url: is refused" in result.output
