"""Projections on each store: exactly-once positions, crash recovery, flags from the domain."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from projections import queries
from projections import runner as runner_module
from projections.report import investigation_report
from projections.store import SimulatedCrashError
from tests.projections.helpers import digest, rules, runner_for
from tests.support import (
    AGENCY,
    HEAD,
    OMBUDSMAN_OFFICER,
    STAFF,
    STAFF2,
    UNIT,
    World,
    employee,
    now,
    payload,
    unit_payload,
    wfa_request,
)

OTHER_UNIT = "kab-contoh/umum"
NEWCOMER = "199505052020012001"


def _request(
    world: World, subject: str, approver: str, employee: str = STAFF, days: int = 1
) -> None:
    world.append(
        payload("wfa.requested", subject, employee, wfa_request(employee, days)),
        payload("wfa.approved", subject, approver, {"note": "ok"}),
    )


def test_crash_between_rows_and_position_neither_loses_nor_doubles(world: World) -> None:
    runner = runner_for(world.runtime)
    runner.catch_up()
    before = runner.positions(AGENCY)
    _request(world, "req-crash", STAFF2)
    with pytest.raises(SimulatedCrashError):
        runner.catch_up(crash_after_rows=True)
    assert runner.positions(AGENCY) == before
    assert rules(runner) == []
    runner.catch_up()
    assert rules(runner).count("approver-not-supervisor") == 1
    assert {s.lag for s in runner.status()} == {0}
    fresh = runner_for(world.runtime)
    incremental = digest(runner)
    fresh.rebuild()
    assert digest(fresh) == incremental


def test_restarted_runner_resumes_after_its_position(world: World) -> None:
    first = runner_for(world.runtime)
    first.catch_up()
    applied = first.applied(AGENCY)
    _request(world, "req-later", STAFF2)
    second = runner_for(world.runtime)
    size = world.runtime.logs.log(AGENCY).size
    assert second.catch_up() == size - applied  # from its stored state: nothing folded twice
    assert rules(second).count("approver-not-supervisor") == 1
    assert second.applied(AGENCY) == size


@pytest.mark.parametrize(
    ("rule", "employee", "approver", "days"),
    [
        ("approver-not-supervisor", STAFF, STAFF2, 1),
        ("self-approval", HEAD, HEAD, 1),
        ("weekly-cap-exceeded", STAFF, HEAD, 3),
    ],
)
def test_flag_is_raised_by_a_crafted_history_and_not_by_the_clean_one(
    world: World, rule: str, employee: str, approver: str, days: int
) -> None:
    _request(world, "req-clean", HEAD)
    runner = runner_for(world.runtime)
    runner.catch_up()
    assert rule not in rules(runner)
    _request(world, "req-crafted", approver, employee, days)
    runner.catch_up()
    flags = runner.reads_of(AGENCY).rows("SELECT * FROM {s}jp_flags")
    found = [r for r in flags if r["rule"] == rule]
    assert [r["subject"] for r in found] == ["req-crafted"]


def test_missing_output_report_appears_only_after_the_deadline(world: World) -> None:
    _request(world, "req-quiet", HEAD)
    runner = runner_for(world.runtime)
    runner.catch_up()
    now = datetime.now(UTC)
    assert queries.missing_reports(runner.reads_of(AGENCY), now) == []
    later = queries.missing_reports(runner.reads_of(AGENCY), now + timedelta(days=30))
    assert [(f["rule"], f["subject"]) for f in later] == [("missing-output-report", "req-quiet")]
    writer = world.runtime.logs.log(AGENCY)
    expected = [f.detail for f in writer.compliance_flags(now + timedelta(days=30))]
    assert [f["detail"] for f in later] == [d for d in expected if "no output" in d]


def test_a_transfer_changes_the_unit_days_after_it_not_before(world: World) -> None:
    yesterday = (now().date() - timedelta(days=1)).isoformat()
    ahead = (now().date() + timedelta(days=7)).isoformat()
    for subject, day in (("req-past", yesterday), ("req-ahead", ahead)):
        world.append(
            payload("wfa.requested", subject, STAFF, {**wfa_request(STAFF), "dates": [day]}),
            payload("wfa.approved", subject, HEAD, {"note": "ok"}),
        )
    runner = runner_for(world.runtime)
    runner.catch_up()

    def staff_by_day() -> dict[str, tuple[int, list[str]]]:
        page = queries.unit_days(runner.reads_of(AGENCY), UNIT, None, None, agency=AGENCY)
        return {str(d["day"]): (int(d["staff"]), list(d["on_site"])) for d in page.items}

    assert staff_by_day() == {yesterday: (3, [HEAD, STAFF2]), ahead: (3, [HEAD, STAFF2])}
    world.append(
        unit_payload(OTHER_UNIT),
        payload("employee.updated", STAFF2, HEAD, {"unit": OTHER_UNIT}),
    )
    runner.catch_up()
    assert staff_by_day() == {yesterday: (3, [HEAD, STAFF2]), ahead: (2, [HEAD])}
    incremental = digest(runner)
    fresh = runner_for(world.runtime)
    fresh.rebuild()
    assert digest(fresh) == incremental


def test_the_report_takes_the_staff_by_the_agencys_dates_and_says_what_the_log_knew(
    world: World,
) -> None:
    lapse = now()
    filed = payload(
        "complaint.filed",
        "lm-transfer-0001",
        OMBUDSMAN_OFFICER,
        {
            "unit": UNIT,
            "service": "KTP-el",
            "lapse_at": lapse.isoformat(),
            "form": "penundaan_berlarut",
            "summary": "Loket tutup",
        },
    )
    logs = world.runtime.logs
    logs.append([logs.prepare(world.ombudsman_signer.sign(filed))])
    tomorrow = (lapse + timedelta(days=1)).date().isoformat()
    world.append(
        unit_payload(OTHER_UNIT),
        payload("employee.updated", STAFF2, HEAD, {"unit": OTHER_UNIT, "placed_at": tomorrow}),
        payload("employee.enrolled", NEWCOMER, HEAD, employee("Dewi Lestari", HEAD)),
    )
    runner = runner_for(world.runtime)
    runner.catch_up()
    state = logs.log(AGENCY).agency_state
    report = investigation_report(state, runner.reads_of(AGENCY), "lm-transfer-0001", now())
    on_site = [person["nip"] for person in report["on_site"]]  # type: ignore[attr-defined]
    assert on_site == sorted([HEAD, STAFF, STAFF2, NEWCOMER])
    assert report["log_at_lapse"] == {"staff": sorted([HEAD, STAFF, STAFF2]), "differs": True}
    statements = [s["statement"] for s in report["statements"]]  # type: ignore[attr-defined]
    assert statements[1].startswith("4 employees were in the unit on ")
    assert f"log knew 3 of the unit's staff; recorded only later: 1 ({NEWCOMER})" in statements[2]
    assert report["present_at_lapse"]["count"] == 0  # type: ignore[index]
    assert {p["basis"] for p in report["staff"]} == {"no record"}  # type: ignore[attr-defined]


def test_a_reader_waiting_cuts_the_gathering_between_turns_short(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a stream of small commits the runner lets entries gather between turns; a reader
    waiting for its write does not wait that out (here the gathering would last a minute)."""
    monkeypatch.setattr(runner_module, "GATHER_SECONDS", 60.0)
    runner = runner_for(world.runtime)
    runner.catch_up()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        ledger = world.runtime.logs.log(AGENCY)
        _request(world, "req-gather-1", HEAD)
        follower, deadline = runner.follower(AGENCY), time.monotonic() + 30
        while follower.applied < ledger.size and time.monotonic() < deadline:
            time.sleep(0.01)  # the runner turned for the first request: it is gathering now
        assert follower.applied == ledger.size
        _request(world, "req-gather-2", HEAD)
        assert runner.wait_for(AGENCY, ledger.size - 1, timeout=20)
    finally:
        stop.set()
        runner.wake()
        thread.join(30)
        runner.close()
