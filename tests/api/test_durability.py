"""Durability: SIGKILL the server under concurrent appends; every acknowledged entry survives."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.servers import Server
from tests.support import AGENCY, HEAD, World, payload
from verification.merkle import root_hash

pytestmark = pytest.mark.slow
CLIENTS = 8


def _unit(thread: int, i: int) -> dict[str, object]:
    return payload(
        "unit.registered",
        f"unit-{thread}-{i}",
        HEAD,
        {
            "name": f"Unit {thread}.{i}",
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
        agency=AGENCY,
    )


def test_acknowledged_entries_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    settings = Settings.from_env(env)
    runtime = open_runtime(settings)
    world = World(runtime).setup()
    token = world.tokens["agency"]
    runtime.close()

    server = Server(env, tmp_path / "server.log")
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client(thread: int) -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for i in range(100_000):
                if stop.is_set():
                    return
                try:
                    response = http.post(
                        "/v1/entries", json=world.agency_signer.sign(_unit(thread, i)), timeout=10
                    )
                except httpx.HTTPError:
                    return  # the server died mid-request: not acknowledged
                assert response.status_code == 201, response.text
                with lock:
                    acknowledged[response.json()["index"]] = response.json()["leaf_hash"]

    threads = [threading.Thread(target=client, args=(t,)) for t in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 200

    reopened = open_runtime(settings)  # replays and checks every stored entry
    try:
        ledger = reopened.logs.log(AGENCY)
        size = ledger.store.recorder.log_size()
        assert ledger.size == size >= max(acknowledged) + 1
        stored = {
            e.index: ledger.store.decode(e).leaf_hash
            for e in ledger.store.recorder.entries(0, size)
        }
        assert sorted(stored) == list(range(size))  # contiguous: no partial entry, no gap
        for index, leaf_hash in acknowledged.items():
            assert stored[index] == leaf_hash
        checkpoint = ledger.latest_checkpoint()
        assert checkpoint.size == size
        assert checkpoint.root == root_hash([bytes.fromhex(stored[i]) for i in range(size)])
    finally:
        reopened.close()

    restarted = Server(env, tmp_path / "server2.log")  # and the server starts again on it
    try:
        response = httpx.post(
            restarted.url + "/v1/entries",
            json=world.agency_signer.sign(_unit(99, 0)),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201
        assert response.json()["index"] == size
    finally:
        restarted.stop()
