"""The layers of docs/architecture: imports only go one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from crm.tables import TABLES

ROOT = Path(__file__).resolve().parent.parent

# (package, modules it must never import)
RULES: list[tuple[str, tuple[str, ...]]] = [
    (
        "crm/domain",
        (
            "strawberry",
            "litestar",
            "jose",
            "facade",
            "crm.graphql",
            "crm.cli",
            # The services reach the database through crm.queries only.
            "sqlite3",
            "asyncpg",
            "crm.engine",
            "piccolo",
        ),
    ),
    ("crm/graphql", ("facade", "crm.cli", "jose")),
    ("crm/tables.py", ("strawberry", "litestar", "facade", "crm.graphql", "crm.domain")),
    ("facade", ("crm.cli",)),
]
DRIVERS = ("sqlite3", "asyncpg")
DRIVER_MODULES = {"crm/engine.py", "crm/queries/driver_errors.py", "crm/pg_events.py"}
"""The only modules of `crm` that know the database drivers: the engine's lifecycle and
outage detection, the one translation of the drivers' refusals, and the connection that
LISTENs for live events (a driver's feature no ORM wraps)."""

# Piccolo's table queries (`Contact.objects()`) and a row's own writes (`row.save()`).
TABLE_QUERIES = frozenset({"objects", "select", "insert", "update", "delete", "exists", "raw"})
ROW_WRITES = frozenset({"save", "remove", "refresh"})
SQL_TEXT = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b", re.DOTALL
)

# The `crm` command is the outermost layer: it may import the facade; nothing else in crm may.
CRM_EXCEPT_CLI = "crm"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def python_files(relative: str) -> list[Path]:
    target = ROOT / relative
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in files:
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.name} imports {module}")
    return bad


def test_each_layer_imports_only_what_is_below_it() -> None:
    bad: list[str] = []
    for package, forbidden in RULES:
        files = python_files(package)
        assert files, f"{package} has no Python files"
        bad += violations(files, forbidden)
    assert not bad, "\n".join(bad)


def test_crm_never_imports_facade_except_the_command() -> None:
    files = [p for p in python_files(CRM_EXCEPT_CLI) if p.name != "cli.py"]
    assert not violations(files, ("facade",))


def test_nothing_imports_the_command() -> None:
    files = [p for p in python_files("crm") + python_files("facade") if p.name != "cli.py"]
    assert not violations(files, ("crm.cli",))


def test_only_the_engine_and_the_error_translation_import_database_drivers() -> None:
    files = [
        path
        for path in python_files("crm")
        if path.relative_to(ROOT).as_posix() not in DRIVER_MODULES
    ]
    assert not violations(files, DRIVERS)


def queries_of_their_own(path: Path) -> list[str]:
    """The table queries, row writes and SQL text of a module, by line."""
    tables = {table.__name__ for table in TABLES}
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called, owner = node.func.attr, node.func.value
            if called in ROW_WRITES or (
                called in TABLE_QUERIES and isinstance(owner, ast.Name) and owner.id in tables
            ):
                found.append(f"{path.name}:{node.lineno} calls {called}()")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_TEXT.search(node.value)
        ):
            found.append(f"{path.name}:{node.lineno} holds SQL text")
    return found


def test_domain_services_run_no_queries_of_their_own() -> None:
    bad = [line for path in python_files("crm/domain") for line in queries_of_their_own(path)]
    assert not bad, "\n".join(bad)


def test_the_query_checker_sees_queries(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "async def f(row):\n"
        "    await Contact.objects()\n"
        "    await row.save()\n"
        "    return 'SELECT id FROM crm_contact'\n"
    )
    assert len(queries_of_their_own(module)) == 3


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from strawberry import type\nimport litestar.app\n")
    assert len(violations([module], ("strawberry", "litestar"))) == 2
