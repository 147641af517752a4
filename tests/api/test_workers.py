"""`jejak serve --workers 2`: two processes on one port append to three agencies' logs at once;
every receipt proves its entry in its own log, each log stays gap-free, and both workers serve."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from api.routing import owner_of
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.signing import EnvelopeSigner
from tests.servers import Server, child_pids
from tests.support import AGENCY, HEAD, OTHER_AGENCY, World, payload, signer
from verification.merkle import root_hash, verify_inclusion
from verification.note import parse_checkpoint, verify_note

pytestmark = pytest.mark.slow
THIRD = "kab-ketiga"
AGENCIES = (AGENCY, OTHER_AGENCY, THIRD)
CLIENTS = 9  # three per agency
PER_CLIENT = 25


def _head(agency: str) -> str:
    return (
        HEAD
        if agency == AGENCY
        else {OTHER_AGENCY: "198101012006041005"}.get(agency, "198201012007051006")
    )


def _unit(agency: str, subject: str) -> dict[str, object]:
    return payload(
        "unit.registered",
        f"{agency}/{subject}",
        _head(agency),
        {
            "name": subject,
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
        agency=agency,
    )


def _setup(database_url: str, tmp_path: Path) -> tuple[dict[str, str], World, dict[str, str]]:
    """Three agencies, each with a key, a unit and its head; a token for each."""
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    runtime = open_runtime(Settings.from_env(env))
    try:
        world = World(runtime).setup()
        runtime.operator.add_org(THIRD, "agency", "Kab Ketiga")
        runtime.operator.add_key(THIRD, signer(THIRD).public_key_b64, None)
        tokens = {AGENCY: world.tokens["agency"], OTHER_AGENCY: world.tokens["other"]}
        tokens[THIRD] = world.token("agency", THIRD)
        logs = runtime.logs
        for agency in (OTHER_AGENCY, THIRD):
            key = signer(agency)
            head = _head(agency)
            enrol = payload(
                "employee.enrolled",
                head,
                head,
                {
                    "name": "Kepala",
                    "unit": f"{agency}/sekretariat",
                    "position": "Kepala",
                    "supervisor": None,
                    "placed_at": "2020-01-01",
                    "discipline": "none",
                },
                agency=agency,
            )
            logs.append(
                [
                    logs.prepare(key.sign(_unit(agency, "sekretariat"))),
                    logs.prepare(key.sign(enrol)),
                ]
            )
    finally:
        runtime.close()
    return env, world, tokens


def _serving_pid(url: str) -> int:
    """The worker that answered one request on a new connection."""
    with httpx.Client(base_url=url) as http:
        return int(http.get("/v1/logs").headers["x-jejak-worker"])


def test_two_workers_append_to_three_logs_through_one_port(
    database_url: str, tmp_path: Path
) -> None:
    env, world, tokens = _setup(database_url, tmp_path)
    signers: dict[str, EnvelopeSigner] = {a: signer(a) for a in AGENCIES}
    signers[AGENCY] = world.agency_signer
    server = Server(env, tmp_path / "server.log", "--workers", "2")
    receipts: list[dict[str, object]] = []
    served_by: Counter[int] = Counter()
    written_by: dict[str, set[int]] = {a: set() for a in AGENCIES}
    failures: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        agency = AGENCIES[n % len(AGENCIES)]
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {tokens[agency]}"}, timeout=60
        ) as http:
            for i in range(PER_CLIENT):
                envelope = signers[agency].sign(_unit(agency, f"load-{n}-{i}"))
                response = http.post("/v1/entries", json=envelope)
                with lock:
                    served_by[int(response.headers["x-jejak-worker"])] += 1
                    written_by[agency].add(int(response.headers["x-jejak-writer"]))
                    if response.status_code != 201:
                        failures.append(f"{agency}: {response.status_code} {response.text[:300]}")
                        return
                    receipts.append(response.json())

    try:
        workers = set(child_pids(server.process.pid))
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # every new connection goes to whichever worker accepts it first: ask until both did
        for _ in range(500):
            if len(served_by) >= 2:
                break
            served_by[_serving_pid(server.url)] += 1
    finally:
        server.stop()
    assert failures == []
    assert server.process.returncode == 0
    assert len(receipts) == CLIENTS * PER_CLIENT
    assert set(served_by) <= workers
    assert len(served_by) == 2, served_by
    # each log is written by one worker only, its owner, whichever worker took the request
    assert all(len(pids) == 1 for pids in written_by.values()), written_by
    owners = {agency: owner_of(agency, 2) for agency in AGENCIES}
    assert len(set(owners.values())) == 2  # the three logs are spread over both workers
    for a in AGENCIES:
        for b in AGENCIES:
            assert (written_by[a] == written_by[b]) == (owners[a] == owners[b])
    assert not any(Path(f"/proc/{pid}").exists() for pid in set(served_by)), "a worker outlived"

    key = world.runtime.log_verifier_key
    origin = world.runtime.settings.origin
    for receipt in receipts:
        log = str(receipt["log"])
        checkpoint = parse_checkpoint(verify_note(str(receipt["checkpoint"]), key))
        assert checkpoint.origin == f"{origin}/{log}"
        verify_inclusion(
            bytes.fromhex(str(receipt["leaf_hash"])),
            int(str(receipt["index"])),
            checkpoint.size,
            [bytes.fromhex(str(h)) for h in receipt["inclusion_proof"]],  # type: ignore[attr-defined]
            checkpoint.root,
        )
    assert Counter(str(r["log"]) for r in receipts) == {a: 3 * PER_CLIENT for a in AGENCIES}

    reopened = open_runtime(Settings.from_env(env))
    try:
        for agency in AGENCIES:
            ledger = reopened.logs.log(agency)
            events = [ledger.store.decode(e) for e in ledger.store.recorder.entries(0, ledger.size)]
            assert [e.index for e in events] == list(range(ledger.size))  # gap-free, per log
            leaves = {e.index: e.leaf_hash for e in events}
            for receipt in receipts:
                if receipt["log"] == agency:
                    assert leaves[int(str(receipt["index"]))] == receipt["leaf_hash"]
            latest = parse_checkpoint(verify_note(ledger.latest_checkpoint().note, key))
            assert latest.size == ledger.size
            assert latest.root == root_hash([bytes.fromhex(leaves[i]) for i in range(ledger.size)])
    finally:
        reopened.close()
