"""`schema.graphql` is the exported schema; it must not drift from the code."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from crm.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    expected = print_schema(schema) + "\n"  # the trailing newline `strawberry export-schema` writes
    assert SCHEMA_FILE.read_text() == expected, (
        "schema.graphql is out of date: run `crm export-schema`"
    )
