"""The layers of docs/architecture: imports only go one way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (package, modules it must never import)
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("crm/domain", ("strawberry", "litestar", "jose", "facade", "crm.graphql", "crm.cli")),
    ("crm/graphql", ("facade", "crm.cli", "jose")),
    ("crm/tables.py", ("strawberry", "litestar", "facade", "crm.graphql", "crm.domain")),
    ("facade", ("crm.cli",)),
]
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


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from strawberry import type\nimport litestar.app\n")
    assert len(violations([module], ("strawberry", "litestar"))) == 2
