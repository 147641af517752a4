"""`jejak serve` keeps the read models in a worker process (read-your-writes, no orphan), or
leaves them to `jejak projections run` beside an append-only node."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.servers import ROOT, Server, child_pids
from tests.support import AGENCY, STAFF, World, payload, wfa_request

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _world(database_url: str, tmp_path: Path) -> tuple[dict[str, str], World]:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    runtime = open_runtime(Settings.from_env(env))
    world = World(runtime).setup()
    runtime.close()
    return env, world


def _append_request(server: Server, world: World, subject: str) -> int:
    """Append a request through the server; its ledger index."""
    envelope = world.agency_signer.sign(payload("wfa.requested", subject, STAFF, wfa_request()))
    receipt = httpx.post(f"{server.url}/v1/entries", json=envelope, headers=_auth(world)).json()
    return int(receipt["index"])


def _requests_after(server: Server, world: World, index: int) -> httpx.Response:
    """The agency's requests once the read models have applied entry `index` (or 503)."""
    return httpx.get(
        f"{server.url}/v1/agencies/{AGENCY}/requests",
        params={"min_index": index},
        headers=_auth(world),
        timeout=30,
    )


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens['agency']}"}


def test_served_read_models_follow_appends_and_the_worker_dies_with_the_server(
    database_url: str, tmp_path: Path
) -> None:
    env, world = _world(database_url, tmp_path)
    server = Server(env, tmp_path / "server.log")
    try:
        page = _requests_after(server, world, _append_request(server, world, "req-w"))
        assert page.status_code == 200, page.text
        assert [item["subject"] for item in page.json()["items"]] == ["req-w"]
        workers = child_pids(server.process.pid)
        assert workers, "the server runs its projections in a child process"
    finally:
        server.kill()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftover = [pid for pid in workers if _alive(pid)]
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert not leftover, "the projection worker outlived its SIGKILLed server"


def test_an_append_only_node_serves_read_models_kept_by_projections_run(
    database_url: str, tmp_path: Path
) -> None:
    env, world = _world(database_url, tmp_path)
    server = Server(env, tmp_path / "server.log", "--projections", "external")
    follower: subprocess.Popen[bytes] | None = None
    try:
        assert not child_pids(server.process.pid), "an append-only node runs no worker"
        index = _append_request(server, world, "req-x")
        assert _requests_after(server, world, index).status_code == 503, (
            "nothing applies the read models yet"
        )
        follower = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "projections", "run", "--interval", "0.1"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        page = _requests_after(server, world, index)
        assert page.status_code == 200, page.text
        assert [item["subject"] for item in page.json()["items"]] == ["req-x"]
        follower.send_signal(signal.SIGTERM)
        output, _ = follower.communicate(timeout=30)
        assert follower.returncode == 0, output
        assert b"following the log" in output
    finally:
        if follower is not None and follower.poll() is None:
            follower.kill()
        server.stop()
