"""LedgerState as a fold: forks, commits, refusals leave no trace, replays are deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.entry import Entry
from domain.errors import (
    DomainError,
    EntryOutOfOrderError,
    ForkConflictError,
    ImpossibleTransition,
)
from domain.state import LedgerState
from tests.domain.builders import AGENCY, STAFF, STAFF2, STAFF3, UNIT, World, world


def views(state: LedgerState, subjects: list[str]) -> list[object]:
    return [state.subject_view(s) for s in subjects]


def test_fork_changes_are_invisible_until_commit() -> None:
    w = world()
    parent = w.state
    child = parent.fork()
    w.state = child
    w.request()
    assert child.request("req-1") is not None
    assert parent.request("req-1") is None
    assert parent.size == child.size - 1
    child.commit()
    assert parent.request("req-1") is not None
    assert parent.size == child.size
    assert parent.last_integrated_at == child.last_integrated_at


def test_dropped_fork_leaves_parent_unchanged() -> None:
    w = world()
    parent = w.state
    before = views(parent, ["req-1", STAFF, UNIT])
    w.state = parent.fork()
    w.request()
    w.approve()
    assert views(parent, ["req-1", STAFF, UNIT]) == before
    assert parent.flexible_on(AGENCY, UNIT, datetime(2026, 12, 7).date()) == frozenset()


def test_nested_forks_commit_level_by_level() -> None:
    w = world()
    root = w.state
    tx = root.fork()
    w.state = tx
    w.request("req-1")
    batch = tx.fork()
    w.state = batch
    w.request("req-2", employee=STAFF2)
    assert tx.request("req-2") is None
    batch.commit()
    assert tx.request("req-2") is not None
    assert root.request("req-2") is None
    tx.commit()
    assert root.request("req-1") is not None
    assert root.request("req-2") is not None
    assert root.size == batch.size


def test_dropped_inner_batch_keeps_outer_transaction() -> None:
    w = world()
    tx = w.state.fork()
    w.state = tx
    w.request("req-1")
    batch = tx.fork()
    w.state = batch
    w.request("req-2", employee=STAFF2)
    w.state = tx  # the batch is abandoned
    w.request("req-3", employee=STAFF3)
    assert tx.request("req-2") is None
    assert tx.request("req-3") is not None


def test_commit_refuses_when_parent_moved_on() -> None:
    w = world()
    parent = w.state
    child = parent.fork()
    w.request()  # recorded into the parent behind the child's back
    with pytest.raises(ForkConflictError):
        child.commit()


def test_committing_a_root_is_an_error() -> None:
    with pytest.raises(DomainError, match="only a fork"):
        LedgerState().commit()


def test_refused_record_leaves_state_unchanged() -> None:
    w = world()
    w.request()
    before = (w.state.size, w.state.last_integrated_at, views(w.state, ["req-1", STAFF]))
    with pytest.raises(ImpossibleTransition):
        w.add("wfa.approved", "req-1", {"dates": ["2026-12-31"]})
    assert (w.state.size, w.state.last_integrated_at, views(w.state, ["req-1", STAFF])) == before


def test_refuses_entry_at_the_wrong_index() -> None:
    w = world()
    good = World(state=w.state).entry(
        "unit.registered",
        "u-x",
        {
            "name": "x",
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
    )
    shifted = Entry(good.index + 1, good.event, good.keyids, good.integrated_at)
    with pytest.raises(EntryOutOfOrderError, match="recorded at log size"):
        w.state.record(shifted)


def test_refuses_integration_time_running_backwards() -> None:
    w = world()
    with pytest.raises(EntryOutOfOrderError, match="before its predecessor"):
        w.request(at=w.now - timedelta(seconds=1))


def test_replaying_the_same_entries_gives_equal_views() -> None:
    w = world()
    w.request("req-1")
    w.approve("req-1")
    w.request("req-2", employee=STAFF2)
    w.approve("req-2", actor=STAFF3)
    replay = LedgerState()
    flags = [replay.record(entry).flags for entry in w.entries]
    subjects = ["req-1", "req-2", STAFF, UNIT, f"policy:{AGENCY}", AGENCY]
    assert views(replay, subjects) == views(w.state, subjects)
    assert replay.compliance_flags(AGENCY) == w.state.compliance_flags(AGENCY)
    assert [f for fs in flags for f in fs] == list(w.state.compliance_flags(AGENCY))


def test_history_view_as_of_an_earlier_time() -> None:
    w = world()
    w.request()
    requested_at = w.now
    w.approve()
    earlier = w.state.subject_view("req-1", as_of=requested_at)
    assert earlier is not None
    assert earlier.state["status"] == "requested"
    assert earlier.indexes == (16,)
    assert w.state.subject_view("req-1", as_of=requested_at - timedelta(seconds=1)) is None


def test_views_are_json_serialisable() -> None:
    import json

    w = world()
    w.request()
    w.approve()
    for subject in ["req-1", STAFF, UNIT, f"policy:{AGENCY}", AGENCY]:
        view = w.state.subject_view(subject)
        assert view is not None
        json.dumps({"state": view.state, "flags": [f.as_json() for f in view.flags]})


def test_unknown_subject_has_no_view() -> None:
    assert world().state.subject_view("nothing") is None
    assert LedgerState().subject_view("nothing") is None


DAYS = [f"2026-12-{d:02d}" for d in (7, 8, 9, 10, 11, 14, 15)]
STAFFS = [STAFF, STAFF2, STAFF3]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(STAFFS),
            st.lists(st.sampled_from(DAYS), min_size=1, max_size=4, unique=True),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_forked_and_direct_folds_agree(plan: list[tuple[str, list[str], bool]]) -> None:
    """Recording into a fork then committing equals recording directly; flags match too."""
    base = world()
    direct = World(state=LedgerState(), now=base.now)
    for entry in base.entries:
        direct.state.record(entry)
    forked = World(state=base.state.fork(), now=base.now)
    for n, (nip, dates, approve) in enumerate(plan):
        for w in (direct, forked):
            w.request(f"req-{n}", employee=nip, dates=tuple(dates))
            if approve:
                w.approve(f"req-{n}")
    forked.state.commit()
    subjects = [f"req-{n}" for n in range(len(plan))] + STAFFS + [UNIT]
    assert views(base.state, subjects) == views(direct.state, subjects)
    assert base.state.compliance_flags(AGENCY) == direct.state.compliance_flags(AGENCY)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    assert base.state.compliance_flags(AGENCY, end) == direct.state.compliance_flags(AGENCY, end)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
def test_weekly_cap_flags_exactly_the_weeks_over_the_cap(dates: list[str]) -> None:
    w = world()
    w.request(dates=tuple(dates))
    flags = [f for f in w.approve() if f.rule == "weekly-cap-exceeded"]
    weeks: dict[int, int] = {}
    for d in dates:
        week = datetime.fromisoformat(d).isocalendar().week
        weeks[week] = weeks.get(week, 0) + 1
    assert len(flags) == sum(1 for n in weeks.values() if n > 2)
