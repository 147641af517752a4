"""The domain imports only the stdlib and pydantic, and does no I/O and reads no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {
    "time",
    "random",
    "logging",
    "os",
    "io",
    "socket",
    "secrets",
    "uuid",
    "pathlib",
    "subprocess",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_stdlib_and_pydantic() -> None:
    for path in DOMAIN.rglob("*.py"):
        for root in imported_roots(path):
            allowed = (
                root in {"domain", "pydantic", "__future__"} or root in sys.stdlib_module_names
            )
            assert allowed, f"{path.name} imports {root}"
            assert root not in FORBIDDEN, f"{path.name} imports {root}"


def test_domain_never_reads_the_clock() -> None:
    for path in DOMAIN.rglob("*.py"):
        text = path.read_text()
        for call in (".now(", ".today(", "utcnow("):
            assert call not in text, f"{path.name} calls {call}"


def test_every_module_starts_with_a_docstring() -> None:
    for path in DOMAIN.rglob("*.py"):
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path.name} has no docstring"
