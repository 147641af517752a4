"""`verify --server URL --log L`: a bundle/2 fetched, checked against the last visit, kept."""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.domain.builders import AGENCY
from tests.verification.bundle2_builder import NAME, genuine_ledger, subject_bundle
from verification.cli import main


@pytest.fixture
def server() -> Iterator[tuple[str, list[str], bytes]]:
    ledger = genuine_ledger()
    body = subject_bundle(ledger, "req-1").lines()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            answer = body if self.path.startswith("/v1/bundles") else ledger.log_key.encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked, body
    httpd.shutdown()
    httpd.server_close()


def run(*args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["verify", *args])


def test_fetched_bundle_is_verified_then_kept_and_asked_consistent_next_time(
    server: tuple[str, list[str], bytes], tmp_path: Path
) -> None:
    url, asked, _ = server
    state = tmp_path / "state.json"
    args = ["--server", url, "--log", AGENCY, "--subject", "req-1", "--state", str(state)]
    assert run(*args) == 0  # complete: every head proven
    kept = json.loads(state.read_text())["logs"]
    assert set(kept) == {f"{NAME}/operator", f"{NAME}/{AGENCY}"}
    assert asked[-1] == f"/v1/bundles?log={AGENCY}&subject=req-1"
    assert run(*args) == 0
    assert asked[-1].endswith("&consistency_from=13")
