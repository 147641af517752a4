"""The `jejak` command line on both stores: admin commands, one-line errors, key files 0600."""

from __future__ import annotations

import socket
import stat
import subprocess
from pathlib import Path

import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.tokens import resolve_token
from tests.servers import jejak
from tests.support import signer
from verification.note import key_name


def test_admin_commands_register_org_key_token_and_revoke(
    database_url: str, tmp_path: Path
) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    added = jejak(env, "org", "add", "kab-contoh", "--kind", "agency", "--name", "Kabupaten Contoh")
    assert added.returncode == 0, added.stderr
    key = signer("cli")
    keyid = jejak(
        env,
        "key",
        "add",
        "kab-contoh",
        "--public-key",
        key.public_key_b64,
        "--holder",
        "198703122010011002",
    )
    assert keyid.returncode == 0, keyid.stderr
    assert keyid.stdout.strip() == key.keyid
    token = jejak(env, "token", "create", "--role", "agency", "--org", "kab-contoh")
    assert token.returncode == 0, token.stderr
    revoked = jejak(
        env,
        "key",
        "revoke",
        key.keyid,
        "--reason",
        "laptop hilang",
        "--effective-at",
        "2026-01-01T00:00:00+07:00",
    )
    assert revoked.returncode == 0, revoked.stderr

    runtime = open_runtime(Settings.from_env(env))
    try:
        record = runtime.logs.registry_state.key_record(key.keyid)
        assert record is not None
        assert record.key.org == "kab-contoh"
        assert record.revoked is not None
        principal = resolve_token(runtime.registry.store.recorder, token.stdout.strip())
        assert principal is not None
        assert (principal.role, principal.org) == ("agency", "kab-contoh")
    finally:
        runtime.close()


def test_errors_are_one_line_with_non_zero_exit(sqlite_url: str, tmp_path: Path) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": sqlite_url}
    assert jejak(env, "org", "add", "kab-x", "--kind", "agency", "--name", "X").returncode == 0
    again = jejak(env, "org", "add", "kab-x", "--kind", "agency", "--name", "X")
    assert again.returncode == 1
    assert len(again.stderr.strip().splitlines()) == 1
    assert again.stderr.startswith("jejak: ")
    bad_key = jejak(env, "key", "add", "kab-x", "--public-key", "not-base64!")
    assert bad_key.returncode == 1
    assert len(bad_key.stderr.strip().splitlines()) == 1
    bad_time = jejak(
        env, "key", "revoke", "00" * 32, "--reason", "x", "--effective-at", "yesterday"
    )
    assert bad_time.returncode == 2
    assert "RFC 3339" in bad_time.stderr
    no_org = jejak(env, "token", "create", "--role", "agency")
    assert no_org.returncode == 1
    assert "organisation" in no_org.stderr
    bad_url = jejak(
        {**env, "JEJAK_DATABASE_URL": "mysql://x"},
        "org",
        "add",
        "a",
        "--kind",
        "agency",
        "--name",
        "A",
    )
    assert bad_url.returncode == 1
    assert "unsupported database URL" in bad_url.stderr


def test_keygen_prints_a_note_key_pair() -> None:
    done = jejak({}, "keygen", "jejak.example/log")
    assert done.returncode == 0
    private, verifier = done.stdout.strip().splitlines()
    assert private.startswith("PRIVATE+KEY+jejak.example/log+")
    assert key_name(verifier) == "jejak.example/log"


def test_first_start_creates_key_files_readable_only_by_owner(
    sqlite_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {"JEJAK_DATA_DIR": str(data), "JEJAK_DATABASE_URL": sqlite_url}
    assert jejak(env, "org", "add", "kab-y", "--kind", "agency", "--name", "Y").returncode == 0
    for name in ("operator.key", "log.key"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
    (data / "operator.key").chmod(0o644)
    refused = jejak(env, "org", "add", "kab-z", "--kind", "agency", "--name", "Z")
    assert refused.returncode == 1
    assert "chmod 600" in refused.stderr


def _one_line(done: subprocess.CompletedProcess[str], status: int, prefix: str = "jejak: ") -> str:
    """The command failed with `status` and said why on one stderr line, without a traceback."""
    assert done.returncode == status, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(prefix)
    return line


def test_export_to_a_missing_directory_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": sqlite_url}
    assert jejak(env, "org", "add", "kab-x", "--kind", "agency", "--name", "X").returncode == 0
    done = jejak(
        env, "export", "--log", "kab-x", "--subject", "kab-x", "-o", "/nonexistent/dir/x.json"
    )
    line = _one_line(done, 2)
    assert (
        line == "jejak: cannot write /nonexistent/dir/x.json: no such directory: /nonexistent/dir"
    )
    assert done.stdout == ""


def test_failed_export_leaves_no_file_behind(sqlite_url: str, tmp_path: Path) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": sqlite_url}
    out = tmp_path / "out" / "x.json"
    out.parent.mkdir()
    for which in (["--log", "nowhere"], ["--log", "operator"]):
        done = jejak(env, "export", *which, "--subject", "nobody", "-o", str(out))
        assert "not-found" in _one_line(done, 1) or "bad-bundle-query" in done.stderr
        assert list(out.parent.iterdir()) == []
    assert "--log" in _one_line(jejak(env, "export", "--subject", "x", "-o", str(out)), 2)


def test_serve_on_a_busy_port_fails_before_opening_the_log_or_printing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = jejak({"JEJAK_DATA_DIR": str(data)}, "serve", "--port", str(port))
    line = _one_line(done, 1)
    assert line == f"jejak: cannot listen on 127.0.0.1:{port}: the address is already in use" + (
        " (is another server running?)"
    )
    assert done.stdout == ""  # no banner
    assert not data.exists()  # nor a log created for nothing


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A SQLite data directory holding one agency, kab-x."""
    data = tmp_path_factory.mktemp("registered") / "data"
    env = {"JEJAK_DATA_DIR": str(data), "JEJAK_DATABASE_URL": f"sqlite:///{data}.db"}
    assert jejak(env, "org", "add", "kab-x", "--kind", "agency", "--name", "X").returncode == 0
    return env


KEY = signer("one-line").public_key_b64
UNREACHABLE = "postgresql://postgres@127.0.0.1:9/test"
"""Port 9 (discard): nothing listens there, the connection is refused at once."""


@pytest.mark.parametrize(
    ("env", "args", "status", "says"),
    [
        ({}, ["key", "add", "kab-nope", "--public-key", KEY], 1, "unknown-organisation"),
        ({}, ["key", "add", "kab-x", "--public-key", "%%%="], 1, "base64"),
        (
            {},
            ["key", "add", "kab-x", "--public-key", KEY, "--valid-from", "9999-12-31T23:59:59Z"],
            2,
            "--valid-from: '9999-12-31T23:59:59Z' is outside 2000-01-01..2099-12-31",
        ),
        (
            {},
            ["key", "revoke", "00" * 32, "--reason", "x", "--effective-at", "0001-01-01T00:00:00Z"],
            2,
            "--effective-at: '0001-01-01T00:00:00Z' is outside",
        ),
        (
            {},
            [
                "key",
                "revoke",
                "00" * 32,
                "--reason",
                "x",
                "--effective-at",
                "9999-12-31T23:59:59-23:59",
            ],
            2,
            "--effective-at: '9999-12-31T23:59:59-23:59' is outside",
        ),
        ({}, ["token", "create", "--role", "agency", "--org", "kab-nope"], 1, "not a registered"),
        (
            {},
            ["token", "create", "--role", "inspector", "--org", "kab-x"],
            1,
            "'kab-x' is not a registered inspectorate",
        ),
        ({}, ["keygen", "bad name"], 1, "invalid key name"),
        ({}, ["export", "--subject", "kab-x", "-o", "/"], 2, "it is a directory"),
        (
            {"JEJAK_DATABASE_URL": UNREACHABLE},
            ["org", "add", "a", "--kind", "agency", "--name", "A"],
            1,
            "the PostgreSQL database: connection failed",
        ),
        (
            {"JEJAK_DATABASE_URL": UNREACHABLE},
            ["token", "create", "--role", "inspector"],
            1,
            "the PostgreSQL database: ",
        ),
        (
            {"JEJAK_DATABASE_URL": UNREACHABLE},
            ["projections", "status"],
            1,
            "the PostgreSQL database: ",
        ),
        (
            {"JEJAK_DATABASE_URL": UNREACHABLE},
            ["projections", "rebuild"],
            1,
            "the PostgreSQL database: ",
        ),
        (
            {"JEJAK_DATA_DIR": "/proc/jejak"},
            ["org", "add", "a", "--kind", "agency", "--name", "A"],
            1,
            "/proc/jejak",
        ),
    ],
)
def test_every_command_fails_in_one_line_naming_the_problem(
    registered: dict[str, str], env: dict[str, str], args: list[str], status: int, says: str
) -> None:
    line = _one_line(jejak({**registered, **env}, *args), status)
    assert says in line


def test_control_characters_in_an_error_are_escaped(registered: dict[str, str]) -> None:
    line = _one_line(
        jejak(registered, "token", "create", "--role", "agency", "--org", "x\x1b[2J\ry"), 1
    )
    assert "x\\x1b[2J\\ry" in line
