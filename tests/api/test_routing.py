"""Appends routed to the worker owning their log: the owner, the socket between workers, and a
forwarded append answered exactly as the route answers it."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import orjson

from api.routes_entries import serve_forwarded
from api.routing import Verified, Workers, owner_of
from ledger.bootstrap import Runtime
from ledger.placement import REGISTRY_LOG
from ledger.tokens import Principal
from tests.support import AGENCY, World, unit_payload


def test_each_log_has_one_owner_and_the_registry_log_is_the_first_workers() -> None:
    logs = [f"kab-{i}" for i in range(200)]
    owners = [owner_of(log, 4) for log in logs]
    assert owners == [owner_of(log, 4) for log in logs]  # the same in every process
    assert set(owners) == {0, 1, 2, 3}  # spread over every worker
    assert owner_of(REGISTRY_LOG, 4) == 0
    assert {owner_of(log, 1) for log in logs} == {0}


def test_with_writer_processes_the_writers_own_every_log_and_the_workers_none(
    tmp_path: Path,
) -> None:
    logs = [REGISTRY_LOG, *(f"kab-{i}" for i in range(200))]
    for number in range(5):  # writers 0 and 1, workers 2, 3 and 4
        place = Workers(number, 5, tmp_path, writers=2)
        assert {place.owner(log) for log in logs} == {0, 1}
        assert [place.owner(log) for log in logs] == [owner_of(log, 2) for log in logs]


def test_a_forwarded_request_reaches_the_owner_and_its_answer_comes_back(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None, bytes, bool, Verified | None]] = []

    async def handler(
        principal: Principal, body: bytes, batch: bool, verified: Verified | None
    ) -> tuple[int, bytes, str]:
        seen.append((principal.role, principal.org, body, batch, verified))
        return 201, b'{"ok":true}', "application/json"

    async def main() -> None:
        owner, other = Workers(0, 2, tmp_path), Workers(1, 2, tmp_path)
        await owner.listen(handler)
        try:
            for n in range(3):  # the second and third reuse the connection
                verified = [["k1"], ["k2", "k3"]] if n == 2 else None
                answer, pid = await other.forward(
                    0, Principal("agency", "kab-a"), b"x%d" % n, n == 2, verified
                )
                assert answer == (201, b'{"ok":true}', "application/json")
                assert pid == os.getpid()
            assert len(other._idle[0]) == 1
        finally:
            await other.close()
            await owner.close()

    asyncio.run(main())
    assert seen == [
        ("agency", "kab-a", b"x0", False, None),
        ("agency", "kab-a", b"x1", False, None),
        ("agency", "kab-a", b"x2", True, [["k1"], ["k2", "k3"]]),
    ]
    assert oct((tmp_path / "worker-0.sock").stat().st_mode & 0o777) == "0o600"


def test_a_forwarded_append_is_answered_as_the_route_answers_it(runtime: Runtime) -> None:
    world = World(runtime).setup()
    principal = Principal("agency", AGENCY)
    good = world.agency_signer.sign(unit_payload(f"{AGENCY}/unit-forwarded"))
    other = world.agency_signer.sign(unit_payload(f"{AGENCY}/unit-forged"))
    zero_sig = {"keyid": other["signatures"][0]["keyid"], "sig": "A" * 86 + "=="}  # type: ignore[index]
    forged = dict(other, signatures=[zero_sig])

    async def main() -> list[tuple[int, bytes, str]]:
        return [
            await serve_forwarded(runtime, principal, orjson.dumps(good), batch=False),
            await serve_forwarded(runtime, principal, orjson.dumps(good), batch=False),
            await serve_forwarded(runtime, principal, b"{not json", batch=False),
            await serve_forwarded(runtime, principal, orjson.dumps({"envelopes": []}), batch=True),
            await serve_forwarded(runtime, principal, orjson.dumps(forged), batch=False),
        ]

    created, again, not_json, empty, refused = asyncio.run(main())
    assert created[0] == 201
    assert created[2] == "application/json"
    assert json.loads(created[1])["log"] == AGENCY
    assert again[0] == 200  # an exact resubmission, as on the route
    assert not_json[0] == 400
    assert not_json[2] == "application/problem+json"
    assert json.loads(not_json[1])["type"].endswith("not-json")
    assert empty[0] == 400
    assert refused[0] == 422
    assert json.loads(refused[1])["type"].endswith("bad-signature")


def test_a_checked_append_passed_on_is_not_verified_again_only_what_was_not(
    runtime: Runtime,
) -> None:
    """A worker passes on envelopes it checked, each with the keys it verified it by: the
    owner trusts those (its own server's socket) and verifies every other signature."""
    world = World(runtime).setup()
    principal = Principal("agency", AGENCY)
    good = world.agency_signer.sign(unit_payload(f"{AGENCY}/unit-checked"))
    keyid = good["signatures"][0]["keyid"]  # type: ignore[index]
    other = world.agency_signer.sign(unit_payload(f"{AGENCY}/unit-unchecked"))
    forged = dict(other, signatures=[{"keyid": keyid, "sig": "A" * 86 + "=="}])

    async def main() -> list[tuple[int, bytes, str]]:
        return [
            await serve_forwarded(runtime, principal, orjson.dumps(good), False, [[keyid]]),
            await serve_forwarded(runtime, principal, orjson.dumps(forged), False, [[]]),
            await serve_forwarded(
                runtime, principal, orjson.dumps({"envelopes": [other]}), True, [[keyid], []]
            ),
        ]

    ledger = runtime.logs.log(AGENCY)
    size = ledger.size
    checked, unverified, miscounted = asyncio.run(main())
    assert checked[0] == 201
    assert json.loads(checked[1])["subject"] == f"{AGENCY}/unit-checked"
    assert unverified[0] == 422  # nothing was verified where it arrived: the owner does it
    assert json.loads(unverified[1])["type"].endswith("bad-signature")
    assert miscounted[0] == 500  # two keyid lists for one envelope: a bug, nothing stored
    assert ledger.size == size + 1  # only the checked envelope was stored
