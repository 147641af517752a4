"""`jejak redact` beside a running server (another process): the server's writer folds the log
again at its next group, so what rested on the erased payload is unknown to it too."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.servers import Server, jejak
from tests.support import AGENCY, HEAD, STAFF, World, payload, wfa_request

pytestmark = pytest.mark.slow


def test_server_refolds_after_a_redaction_by_the_cli(database_url: str, tmp_path: Path) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    runtime = open_runtime(Settings.from_env(env))
    try:
        world = World(runtime).setup()
    finally:
        runtime.close()
    headers = {"Authorization": f"Bearer {world.tokens['agency']}"}
    server = Server(env, tmp_path / "server.log")
    try:
        entries = f"{server.url}/v1/entries"
        signed = world.agency_signer.sign(payload("wfa.requested", "req-x", STAFF, wfa_request()))
        requested = httpx.post(entries, json=signed, headers=headers, timeout=30)
        assert requested.status_code == 201, requested.text
        index = requested.json()["index"]

        done = jejak(env, "redact", AGENCY, str(index), "--basis", "UU 27/2022 Pasal 43")
        assert done.returncode == 0, done.stderr

        # the server's writer now folds req-x as unknown: its approval rests on nothing known
        approve = world.agency_signer.sign(payload("wfa.approved", "req-x", HEAD, {"note": "ok"}))
        refused = httpx.post(entries, json=approve, headers=headers, timeout=30)
        assert refused.status_code == 409, refused.text
        other = world.agency_signer.sign(payload("wfa.requested", "req-y", STAFF, wfa_request()))
        assert httpx.post(entries, json=other, headers=headers, timeout=30).status_code == 201
        subject = httpx.get(
            f"{server.url}/v1/logs/{AGENCY}/subjects/req-x", headers=headers, timeout=30
        ).json()
        assert subject["state_unknown_from"] == index
        assert subject["entries"][0]["missing"] == "redacted"
    finally:
        server.stop()
