"""The `crm` command, run in-process against the test database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crm.cli import main


def test_migrate_is_idempotent() -> None:
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output


def test_user_create_prints_one_json_object_with_the_id() -> None:
    result = CliRunner().invoke(
        main,
        [
            "user",
            "create",
            "--email",
            "Ops@Example.com",
            "--password",
            "long enough",
            "--first-name",
            "Ops",
            "--extension",
            "200",
            "--admin",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["email"] == "ops@example.com"
    assert record["is_admin"] is True
    assert len(record["id"]) == 36
    assert "password" not in result.output.lower()


def test_user_create_with_bad_input_says_which_field_and_exits_non_zero() -> None:
    result = CliRunner().invoke(
        main, ["user", "create", "--email", "nobody", "--password", "long enough"]
    )
    assert result.exit_code == 1
    assert "email:" in result.output


def test_a_bad_setting_stops_a_command_with_one_line() -> None:
    result = CliRunner().invoke(main, ["migrate"], env={"CRM_DEFAULT_REGION": "XX"})
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: CRM_DEFAULT_REGION:")
    assert len(result.output.strip().splitlines()) == 1


def test_export_schema_prints_the_sdl() -> None:
    result = CliRunner().invoke(main, ["export-schema", "--output", "-"])
    assert result.exit_code == 0
    assert "type Query" in result.output


def test_user_create_asks_for_the_password_when_not_given() -> None:
    result = CliRunner().invoke(
        main,
        ["user", "create", "--email", "asked@example.com", "--json"],
        input="long enough\nlong enough\n",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["email"] == "asked@example.com"
