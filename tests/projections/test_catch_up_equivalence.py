"""The read models do not depend on how the log is cut: catch-ups in steps of different
sizes, restarted halfway from the stored state, and a rebuild from entry 0 give the same rows,
on the benches' workloads (bench/workload.py: realistic units of 30 staff, and the heavy one's
unit). Each entry decoded once by the read models (`projections.decode`) is the entry the
domain's own parse makes of it; what that fast path does not read as an accepted payload is
refused the domain's way."""

from __future__ import annotations

import json

import pytest

from bench.workload import Staffing
from domain.errors import PayloadInvalid, UnknownEventType
from projections.decode import decode_entry, payload_of, stored_fields, to_entry
from projections.runner import ProjectionRunner
from tests.projections.helpers import digest, table_rows
from tests.support import AGENCY, HEAD, World, payload, policy_data

REALISTIC = Staffing(AGENCY, 1, units=2)
HEAVY = Staffing(AGENCY, 2, heavy=True)
HEAVY_FIRST = 10_000  # its request ids after the realistic ones (one agency for both)


def _grow(world: World, first: int, count: int) -> None:
    """`count` requests of each workload, from request `first` on."""
    events = [
        payload(*event)
        for k in range(first, first + count)
        for event in (*REALISTIC.request(k), *HEAVY.request(HEAVY_FIRST + k))
    ]
    world.append(*events)


def _log(world: World) -> None:
    world.append(*(payload(*e) for people in (REALISTIC, HEAVY) for e in people.organisation()))
    _grow(world, 0, 40)


def test_steps_of_any_size_a_restart_and_a_rebuild_give_the_same_rows(world: World) -> None:
    _log(world)
    _grow(world, 40, 25)
    cut = world.runtime.logs.log(AGENCY).size  # a restart here, then the rest
    world.append(  # a new policy version: every unit day and request of the agency again
        payload("policy.enacted", f"policy:{AGENCY}", HEAD, policy_data(version=2))
    )
    _grow(world, 65, 25)
    stores = world.runtime.logs.stores
    digests = {}
    for batch in (1, 7, 64, 1000):  # one after the other: they share the read store
        first = ProjectionRunner(stores, batch=batch)
        follower = first.follower(AGENCY)
        follower.rebuild()
        while (done := follower.applied) < cut:
            assert follower.step(min(batch, cut - done))
        first.close()
        restarted = ProjectionRunner(stores, batch=batch)  # continues from the stored state
        assert restarted.catch_up(AGENCY) == world.runtime.logs.log(AGENCY).size - cut
        digests[batch] = digest(restarted)
        restarted.close()
    rebuilt = ProjectionRunner(stores, batch=1000)
    rebuilt.rebuild(AGENCY)
    assert set(digests.values()) == {digest(rebuilt)}, digests
    days = table_rows(rebuilt, "jp_unit_days", "unit, location_count")
    away = {d["unit"]: 0 for d in days}
    for d in days:
        away[d["unit"]] = max(away[d["unit"]], int(d["location_count"]))
    assert away == {REALISTIC.unit(0): 9, REALISTIC.unit(1): 9, HEAVY.unit(0): 1}
    assert len(table_rows(rebuilt, "jp_requests", "subject")) == 2 * 90
    rebuilt.close()


def test_each_entry_decoded_once_is_the_domains_entry(world: World) -> None:
    _log(world)
    store = world.runtime.logs.log(AGENCY).store
    mapper = store.shared.app.mapper
    found = store.recorder.entries(0, store.recorder.log_size())
    assert len(found) > 200
    for stored in found:
        index, envelope_json, leaf_json = stored_fields(stored, mapper)
        envelope, leaf = json.loads(envelope_json), json.loads(leaf_json)
        raw = payload_of(envelope, stored.payload)
        assert raw is not None
        assert decode_entry(index, envelope, raw, leaf) == to_entry(store.decode(stored))


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (b"[1, 2]", PayloadInvalid),  # not an object
        (b'{"type": "wfa.requested"}', PayloadInvalid),  # fields missing
        (
            b'{"type": "no.such", "agency": "a", "subject": "s", "actor": "x",'
            b' "occurred_at": "2026-01-01T00:00:00Z", "data": {}}',
            UnknownEventType,
        ),
        (
            b'{"type": "wfa.approved", "agency": "kab-contoh", "subject": "r", "actor": "x",'
            b' "occurred_at": "2026-01-01T00:00:00Z", "data": {"note": 1' + b"0" * 30 + b"}}",
            PayloadInvalid,
        ),  # an integer orjson cannot read: the domain's parse refuses it
    ],
)
def test_what_the_fast_path_cannot_read_is_refused_the_domains_way(
    world: World, body: bytes, refusal: type[Exception]
) -> None:
    store = world.runtime.logs.log(AGENCY).store
    stored = store.recorder.entries(0, 1)[0]
    index, envelope_json, leaf_json = stored_fields(stored, store.shared.app.mapper)
    with pytest.raises(refusal):
        decode_entry(index, json.loads(envelope_json), body, json.loads(leaf_json))
