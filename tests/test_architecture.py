"""Dependencies point one way: api → ledger → verification → domain; the verifier stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN = {
    "domain": {
        "ledger",
        "api",
        "projections",
        "verification",
        "eventsourcing",
        "psycopg",
        "fastapi",
        "cryptography",
    },
    "verification": {
        "ledger",
        "api",
        "projections",
        "eventsourcing",
        "psycopg",
        "fastapi",
        "uvicorn",
    },
    "ledger": {"api", "projections", "fastapi", "uvicorn"},
    "projections": {"api", "fastapi", "uvicorn"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in imported_modules(path) & FORBIDDEN[package]
    }
    assert not offenders


def test_verification_runs_without_server_or_database_libraries() -> None:
    blocked = [
        "fastapi",
        "starlette",
        "uvicorn",
        "psycopg",
        "psycopg_pool",
        "eventsourcing",
        "ledger",
        "api",
    ]
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "import verification.merkle, verification.note, verification.dsse, verification.leaf\n"
        "import verification.layout, verification.verifier, verification.replay, verification.cli\n"
        "import domain.state\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_every_module_starts_with_a_one_line_docstring() -> None:
    missing = []
    for package in ("domain", "ledger", "api", "verification", "projections"):
        for path in (ROOT / package).rglob("*.py"):
            doc = ast.get_docstring(ast.parse(path.read_text()))
            if not doc:
                missing.append(str(path.relative_to(ROOT)))
    assert not missing
