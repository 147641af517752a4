"""`python -m verification verify` and `jejak verify/export`: exit codes, reports, light imports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main as jejak
from tests.servers import ROOT
from tests.verification.fixtures.damage import DAMAGES
from tests.verification.fixtures.genuine import REQUEST, Genuine, build_genuine

BLOCKED = [
    "fastapi",
    "starlette",
    "uvicorn",
    "psycopg",
    "psycopg_pool",
    "eventsourcing",
    "ledger",
    "api",
    "httpx",
]
RUN_BLOCKED = (
    "import runpy, sys\n"
    f"for name in {BLOCKED!r}:\n"
    "    sys.modules[name] = None\n"
    "sys.argv = ['verification', *sys.argv[1:]]\n"
    "runpy.run_module('verification', run_name='__main__')\n"
)


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, "verify", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _write(path: Path, bundle: object) -> str:
    path.write_text(json.dumps(bundle))
    return str(path)


def test_verifies_without_server_or_database_libraries(genuine: Genuine, tmp_path: Path) -> None:
    done = _verify(_write(tmp_path / "b.json", genuine.bundle), "--log-key", genuine.log_key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VERIFIED")
    assert REQUEST in done.stdout
    assert "wfa.approved" in done.stdout


def test_failure_exits_1_naming_entry_and_reason(genuine: Genuine, tmp_path: Path) -> None:
    damaged = DAMAGES["leaf-hash-altered"](genuine, tmp_path)
    bundle = _write(tmp_path / "b.json", damaged.bundle)
    done = _verify(bundle, "--log-key", genuine.log_key, "--json")
    assert done.returncode == 1
    failures = json.loads(done.stdout)["failures"]
    assert {"index": damaged.index, "reason": "leaf-hash-mismatch"} in [
        {"index": f["index"], "reason": f["reason"]} for f in failures
    ]


@pytest.mark.parametrize(
    ("content", "key"),
    [("not json", None), ('{"format": "other/1"}', None), (None, "not-a-key")],
)
def test_unusable_input_exits_2(
    genuine: Genuine, tmp_path: Path, content: str | None, key: str | None
) -> None:
    path = tmp_path / "b.json"
    if content is None:
        _write(path, genuine.bundle)
    else:
        path.write_text(content)
    done = _verify(str(path), "--log-key", key or genuine.log_key)
    assert done.returncode == 2, done.stdout + done.stderr


def test_trusted_checkpoint_that_does_not_verify_is_unusable(
    genuine: Genuine, tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted.note"
    trusted.write_text("jejak.localhost/log\n1\n" + "A" * 43 + "=\n\n— nobody AAAAAAAA\n")
    bundle = _write(tmp_path / "b.json", genuine.bundle)
    done = _verify(bundle, "--log-key", genuine.log_key, "--trusted-checkpoint", str(trusted))
    assert done.returncode == 2


def test_jejak_export_then_verify(
    genuine: Genuine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "export.json"
    key_file = tmp_path / "log.pub"
    key_file.write_text(genuine.log_key + "\n")
    monkeypatch.setenv("JEJAK_DATA_DIR", str(genuine.runtime.settings.data_dir))
    assert jejak(["export", "--subject", REQUEST, "-o", str(out)]) == 0
    assert jejak(["verify", str(out), "--log-key", str(key_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert report["ok"] is True
    assert report["subjects"][0]["subject"] == REQUEST
