"""`python -m verification verify` on ledger-built bundle/2 files: exit codes, one-line refusals,
reports that escape what they quote, no server libraries."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.servers import ROOT
from tests.support import AGENCY
from tests.verification.bundle2_builder import Bundle2
from tests.verification.fixtures.damage import DAMAGES
from tests.verification.fixtures.genuine import REQUEST, Genuine, build_genuine
from tests.verification.fixtures.hostile import DANGEROUS, injected, leaf_instant

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


def _write(path: Path, bundle: Bundle2) -> str:
    return str(bundle.write(path))


def test_verifies_without_server_or_database_libraries(genuine: Genuine, tmp_path: Path) -> None:
    done = _verify(_write(tmp_path / "b.json", genuine.bundle), "--log-key", genuine.log_key)
    assert done.returncode == 3, done.stderr  # the subject's head is not proven yet (#11)
    assert done.stdout.startswith("VERIFIED, PARTIAL")
    assert REQUEST in done.stdout
    assert "wfa.approved" in done.stdout


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
    _one_line_error(done)


LEGACY = (
    '{"format":"jejak-bundle/1","origin":"jejak.localhost/log","log_key":"k","checkpoint":"c",'
    '"subjects":[],"as_of":null,"consistency":null,"entries":[]}'
)


@pytest.mark.parametrize("whole", [False, True])
@pytest.mark.parametrize("text", [LEGACY, json.dumps(json.loads(LEGACY), indent=2)])
def test_a_bundle_1_is_refused_as_no_longer_read(
    genuine: Genuine, tmp_path: Path, text: str, whole: bool
) -> None:
    path = tmp_path / "old.json"
    path.write_text(text)
    args = [str(path), "--log-key", genuine.log_key, *(["--whole"] if whole else [])]
    line = _one_line_error(_verify(*args))
    assert line == (
        "verify: unusable bundle: the format jejak-bundle/1 is no longer read: "
        "export the bundle again (jejak-bundle/2)"
    )


def _one_line_error(done: subprocess.CompletedProcess[str], status: int = 2) -> str:
    """The process ended with `status` and a single `verify: ...` line on stderr."""
    assert done.returncode == status, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("verify: ")
    return line


def test_missing_log_key_file_is_named_not_a_malformed_key(
    genuine: Genuine, tmp_path: Path
) -> None:
    bundle = _write(tmp_path / "b.json", genuine.bundle)
    line = _one_line_error(_verify(bundle, "--log-key", "missing.key"))
    assert line == "verify: no such file: missing.key"


def test_missing_bundle_and_trusted_checkpoint_files_are_named(
    genuine: Genuine, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere.json")
    line = _one_line_error(_verify(missing, "--log-key", genuine.log_key))
    assert line == f"verify: no such file: {missing}"
    bundle = _write(tmp_path / "b.json", genuine.bundle)
    kept = str(tmp_path / "kept.note")
    line = _one_line_error(
        _verify(bundle, "--log-key", genuine.log_key, "--trusted-checkpoint", kept)
    )
    assert line == f"verify: no such file: {kept}"


def test_log_key_from_a_directory_says_so(genuine: Genuine, tmp_path: Path) -> None:
    bundle = _write(tmp_path / "b.json", genuine.bundle)
    line = _one_line_error(_verify(bundle, "--log-key", str(tmp_path)))
    assert line.endswith("is a directory, not a file")


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z"])
def test_as_of_outside_the_ledger_years_is_unusable_input(
    genuine: Genuine, tmp_path: Path, instant: str
) -> None:
    bundle = _write(tmp_path / "b.json", genuine.bundle)
    line = _one_line_error(_verify(bundle, "--log-key", genuine.log_key, "--as-of", instant))
    assert "--as-of" in line
    assert "outside 2000-01-01..2099-12-31" in line


def test_leaf_instant_outside_the_ledger_years_is_unusable_input(
    genuine: Genuine, tmp_path: Path
) -> None:
    bundle = _write(tmp_path / "b.json", leaf_instant(genuine, "9999-12-31T23:59:59-23:59"))
    line = _one_line_error(_verify(bundle, "--log-key", genuine.log_key))
    assert "integrated_at" in line


@pytest.mark.parametrize("whole", [False, True])
def test_bundle_nested_100000_levels_is_unusable_input(
    tmp_path: Path, genuine: Genuine, whole: bool
) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    args = [str(path), "--log-key", genuine.log_key, *(["--whole"] if whole else [])]
    line = _one_line_error(_verify(*args))
    assert ("nested deeper than" if whole else "not the jejak-bundle/2 line layout") in line


@pytest.mark.parametrize(
    "name", ["payload-date-out-of-bounds", "payload-instant-out-of-bounds", "payload-nul-in-string"]
)
def test_poisoned_entry_fails_naming_it_without_a_traceback(
    genuine: Genuine, tmp_path: Path, name: str
) -> None:
    poisoned = DAMAGES[name](genuine, tmp_path)
    done = _verify(_write(tmp_path / "b.json", poisoned.bundle), "--log-key", genuine.log_key)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("FAILED")
    assert f"\n  ✗ log {AGENCY} entri {poisoned.index}: " in done.stdout
    assert f"({poisoned.reason}: " in done.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_report_escapes_terminal_controls_from_signed_data(
    genuine: Genuine, tmp_path: Path, as_json: bool
) -> None:
    bundle, subject = injected(genuine)
    args = [_write(tmp_path / "b.json", bundle), "--log-key", genuine.log_key]
    done = _verify(*args, *(["--json"] if as_json else []))
    assert done.returncode == 1, done.stdout + done.stderr  # the rules refuse such a subject
    assert "Traceback" not in done.stderr
    printed = done.stdout + done.stderr
    assert not DANGEROUS & set(printed), sorted(DANGEROUS & set(printed))
    if as_json:  # the escapes are JSON's own: the report still says exactly what was signed
        assert json.loads(done.stdout)["subjects"][0]["subject"] == subject
    else:
        lines = done.stdout.splitlines()
        assert lines[0].startswith("FAILED — GAGAL")
        assert lines[1].startswith("  Klaim: seluruh riwayat subjek req-\\x1b[2J")
        assert not any(line.startswith(("VERIFIED", "FAILED")) for line in lines[1:])
        assert "req-\\x1b[2J\\x1b[H\\rVERIFIED: 14 entries, 0 failures\\nVERIFIED" in done.stdout


PROBLEMS = {
    "jejak_not-a-token": (401, "Unauthorized", "the token is not valid"),
    "unknown": (404, "Not Found", "log kab-contoh has no subject 'req-nobody'"),
}


@pytest.fixture
def stub_server() -> Iterator[str]:
    """A server answering RFC 9457 problems by token, and a jejak-bundle/1 to token 'old'."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token == "old":
                status, body, kind = 200, LEGACY.encode(), "application/json"
            else:
                code, title, detail = PROBLEMS[token]
                problem = {"type": "about:blank", "title": title, "status": code, "detail": detail}
                status, body, kind = code, json.dumps(problem).encode(), "application/problem+json"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_verify_server_errors_name_the_status_and_the_problem(
    genuine: Genuine, stub_server: str, tmp_path: Path
) -> None:
    state = str(tmp_path / "state.json")
    common = ["--state", state, "--log-key", genuine.log_key, "--log", AGENCY]
    served = ["--server", stub_server, *common]
    refused = _verify(*served, "--subject", REQUEST, "--token", "jejak_not-a-token")
    unknown = _verify(*served, "--subject", "req-nobody", "--token", "unknown")
    old = _verify(*served, "--subject", REQUEST, "--token", "old")
    unreachable = _verify("--server", "http://127.0.0.1:9", *common, "--subject", REQUEST)
    line = _one_line_error(refused)
    assert "HTTP 401: Unauthorized: " in line
    line = _one_line_error(unknown)
    assert "HTTP 404: Not Found: " in line
    assert "req-nobody" in line
    for line in (_one_line_error(refused), _one_line_error(unknown)):
        assert "unusable bundle" not in line
        assert "{" not in line  # the problem's fields, not its JSON
    assert _one_line_error(old).endswith("answered a jejak-bundle/1, which is no longer read")
    assert "cannot reach" in _one_line_error(unreachable)
    assert "--server needs --log" in _one_line_error(
        _verify("--server", stub_server, "--subject", REQUEST, "--log-key", genuine.log_key)
    )


def test_an_error_quoting_the_bundle_stays_one_short_line(genuine: Genuine, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"format": "\x1b[2J" + "x" * 100_000}))
    line = _one_line_error(_verify(str(path), "--log-key", genuine.log_key, "--whole"))
    assert line.startswith("verify: unusable bundle: format is '\\x1b[2J")
    assert len(line) < 2100
