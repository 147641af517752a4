"""Two server processes on one PostgreSQL: one gap-free log, one consistent tree."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.servers import Server
from tests.support import AGENCY, HEAD, World, payload
from verification.merkle import root_hash, verify_consistency
from verification.note import generate_key, parse_checkpoint, verify_note

pytestmark = pytest.mark.slow
PER_CLIENT = 40


def test_two_servers_append_one_gap_free_sequence(postgres_url: str, tmp_path: Path) -> None:
    private, verifier = generate_key("jejak.test/two-servers")
    env = {
        "JEJAK_DATA_DIR": str(tmp_path / "data"),
        "JEJAK_DATABASE_URL": postgres_url,
        "JEJAK_ORIGIN": "jejak.test/two-servers",
        "JEJAK_LOG_KEY": private,
    }
    settings = Settings.from_env(env)
    runtime = open_runtime(settings)
    world = World(runtime).setup()
    token = world.tokens["agency"]
    runtime.close()

    servers = [Server(env, tmp_path / f"server{i}.log") for i in range(2)]
    receipts: list[dict[str, object]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(server: Server, thread: int) -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for i in range(PER_CLIENT):
                # half the clients share subjects, so both servers extend the same streams
                subject = f"shared-unit-{i % 5}" if thread % 2 else f"unit-{thread}-{i}"
                kind = "unit.registered" if thread % 2 == 0 else "entry.annotated"
                data: dict[str, object] = (
                    {
                        "name": subject,
                        "public_service": False,
                        "service_hours": {"start": "08:00", "end": "16:00"},
                        "min_on_site": 0,
                    }
                    if kind == "unit.registered"
                    else {"entry": 0, "note": f"note {thread}.{i}"}
                )
                response = http.post(
                    "/v1/entries",
                    json=world.agency_signer.sign(payload(kind, subject, HEAD, data)),
                    timeout=30,
                )
                with lock:
                    if response.status_code != 201:
                        failures.append(f"client {thread}: {response.status_code} {response.text}")
                        return
                    receipts.append(response.json())

    try:
        threads = [threading.Thread(target=client, args=(servers[t % 2], t)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for server in servers:
            server.stop()
    assert failures == []
    assert len(receipts) == 8 * PER_CLIENT

    reopened = open_runtime(settings)
    try:
        ledger = reopened.logs.log(AGENCY)
        size = ledger.size
        events = [ledger.store.decode(e) for e in ledger.store.recorder.entries(0, size)]
        assert [e.index for e in events] == list(range(size))
        versions: dict[str, list[int]] = defaultdict(list)
        for event in events:
            versions[str(event.leaf["subject"])].append(int(event.leaf["version"]))
        for subject, seen in versions.items():
            assert seen == list(range(1, len(seen) + 1)), subject
        by_index = {e.index: e.leaf_hash for e in events}
        for receipt in receipts:
            assert receipt["log"] == AGENCY
            assert by_index[int(str(receipt["index"]))] == receipt["leaf_hash"]

        leaves = [bytes.fromhex(e.leaf_hash) for e in events]
        latest = parse_checkpoint(verify_note(ledger.latest_checkpoint().note, verifier))
        assert latest.size == size
        assert latest.root == root_hash(leaves)
        for receipt in receipts:
            published = parse_checkpoint(verify_note(str(receipt["checkpoint"]), verifier))
            assert published.root == root_hash(leaves[: published.size])
            if published.size < latest.size:
                proof = ledger.proofs.consistency_proof(published.size, latest.size)
                verify_consistency(published.size, latest.size, proof, published.root, latest.root)
    finally:
        reopened.close()
