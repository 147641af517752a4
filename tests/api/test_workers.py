"""`jejak serve --workers 2`: two processes on one port append to three agencies' logs at once;
every receipt proves its entry in its own log, each log stays gap-free, and both workers serve."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
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


@dataclass
class Load:
    """What the clients saw: the receipts, who served and who wrote each log."""

    receipts: list[dict[str, object]] = field(default_factory=list)
    served_by: Counter[int] = field(default_factory=Counter)
    written_by: dict[str, set[int]] = field(default_factory=lambda: {a: set() for a in AGENCIES})
    failures: list[str] = field(default_factory=list)


def _load(server: Server, signers: dict[str, EnvelopeSigner], tokens: dict[str, str]) -> Load:
    """CLIENTS clients appending to the three agencies at once, then new connections until
    two workers answered (every new connection goes to whichever accepts it first)."""
    seen = Load()
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
                    seen.served_by[int(response.headers["x-jejak-worker"])] += 1
                    seen.written_by[agency].add(int(response.headers["x-jejak-writer"]))
                    if response.status_code != 201:
                        failure = f"{agency}: {response.status_code} {response.text[:300]}"
                        seen.failures.append(failure)
                        return
                    seen.receipts.append(response.json())

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(500):
        if len(seen.served_by) >= 2:
            break
        seen.served_by[_serving_pid(server.url)] += 1
    return seen


def _signers(world: World) -> dict[str, EnvelopeSigner]:
    signers: dict[str, EnvelopeSigner] = {a: signer(a) for a in AGENCIES}
    signers[AGENCY] = world.agency_signer
    return signers


def test_two_workers_append_to_three_logs_through_one_port(
    database_url: str, tmp_path: Path
) -> None:
    env, world, tokens = _setup(database_url, tmp_path)
    server = Server(env, tmp_path / "server.log", "--workers", "2")
    try:
        workers = set(child_pids(server.process.pid))
        seen = _load(server, _signers(world), tokens)
    finally:
        server.stop()
    assert seen.failures == []
    assert server.process.returncode == 0
    assert len(seen.receipts) == CLIENTS * PER_CLIENT
    assert set(seen.served_by) <= workers
    assert len(seen.served_by) == 2, seen.served_by
    # each log is written by one worker only, its owner, whichever worker took the request
    written_by = seen.written_by
    assert all(len(pids) == 1 for pids in written_by.values()), written_by
    owners = {agency: owner_of(agency, 2) for agency in AGENCIES}
    assert len(set(owners.values())) == 2  # the three logs are spread over both workers
    for a in AGENCIES:
        for b in AGENCIES:
            assert (written_by[a] == written_by[b]) == (owners[a] == owners[b])
    assert not any(Path(f"/proc/{pid}").exists() for pid in seen.served_by), "a worker outlived"
    _check_receipts_and_logs(env, world, seen.receipts)


def test_writer_processes_write_every_log_and_the_workers_only_serve(
    database_url: str, tmp_path: Path
) -> None:
    """`--workers 2 --writers 2`: the writers take no connection of the port, the logs are
    spread over them, and every append a worker takes is written by its log's writer."""
    env, world, tokens = _setup(database_url, tmp_path)
    server = Server(env, tmp_path / "server.log", "--workers", "2", "--writers", "2")
    try:
        processes = set(child_pids(server.process.pid))
        seen = _load(server, _signers(world), tokens)
        good = world.agency_signer.sign(_unit(AGENCY, "forged"))
        forged = dict(good, signatures=[{**good["signatures"][0], "sig": "A" * 86 + "=="}])  # type: ignore[dict-item]
        headers = {"Authorization": f"Bearer {tokens[AGENCY]}"}
        refused = httpx.post(f"{server.url}/v1/entries", json=forged, headers=headers)
    finally:
        server.stop()
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("bad-signature")
    assert "x-jejak-writer" not in refused.headers  # refused where it arrived, not passed on
    assert seen.failures == []
    assert server.process.returncode == 0
    assert len(seen.receipts) == CLIENTS * PER_CLIENT
    writers = set().union(*seen.written_by.values())
    assert all(len(pids) == 1 for pids in seen.written_by.values()), seen.written_by
    assert len(writers) == 2  # the three logs are spread over both writers
    assert writers <= processes
    assert len(seen.served_by) == 2, seen.served_by
    assert set(seen.served_by) <= processes - writers  # no writer answered on the port
    owners = {agency: owner_of(agency, 2) for agency in AGENCIES}
    for a in AGENCIES:
        for b in AGENCIES:
            assert (seen.written_by[a] == seen.written_by[b]) == (owners[a] == owners[b])
    outlived = [pid for pid in {*seen.served_by, *writers} if Path(f"/proc/{pid}").exists()]
    assert outlived == [], "a process outlived the server"
    _check_receipts_and_logs(env, world, seen.receipts)


def _check_receipts_and_logs(
    env: dict[str, str], world: World, receipts: list[dict[str, object]]
) -> None:
    """Every receipt proves its entry in its own log; each log is gap-free and its latest
    checkpoint covers it."""
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
