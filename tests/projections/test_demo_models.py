"""On the demo log, per store: rebuild equals incremental; the report cites the right entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.demo.cast import KAB, UNITS, person
from api.demo.load import demo_period, open_demo_runtime
from api.demo.presence import LATE
from api.demo.story import BREACH_UNIT, UNEVALUATED, complaint_id, minor_complaint_id
from ledger.bootstrap import Runtime
from ledger.settings import Settings
from projections import queries
from projections.report import investigation_report
from tests.projections.helpers import digest, runner_for

BREACH_AWAY = {"andi", "desi", "rina", "fitri", "meli"}


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "demo"), "JEJAK_DATABASE_URL": database_url}
    )
    runtime, summary = open_demo_runtime(settings)
    assert summary is not None
    yield runtime
    runtime.close()


def test_rebuild_from_scratch_yields_the_same_tables_as_incremental_processing(
    demo: Runtime,
) -> None:
    incremental = runner_for(demo, batch=37)
    while incremental.catch_up() == 0:
        pass
    rebuilt = runner_for(demo, batch=1000)
    rebuilt.rebuild()
    assert digest(rebuilt) == digest(incremental)
    for log in rebuilt.logs():
        assert rebuilt.applied(log) == demo.logs.log(log).size


def test_demo_report_names_the_people_away_and_cites_the_approvals(demo: Runtime) -> None:
    runner = runner_for(demo)
    runner.catch_up()
    subject = complaint_id(demo_period())
    state = demo.logs.log(KAB).agency_state
    report = investigation_report(state, runner.reads_of(KAB), subject, datetime.now(UTC))
    away = {a["employee"] for a in report["flexible"] if a["kind"] == "location"}  # type: ignore[attr-defined]
    assert away == {person(who).nip for who in BREACH_AWAY}
    assert report["minimum_held"] is False
    assert report["quota_held"] is False
    assert len(report["on_site"]) == 7  # type: ignore[arg-type]
    complaint = state.complaint(subject)
    assert complaint is not None
    assert set(complaint.finding_entries) <= set(report["entries"])  # type: ignore[call-overload]
    assert complaint.filed_entry in report["entries"]  # type: ignore[operator]
    assert report["bundle"] == f"/v1/bundles?complaint={subject}"


def test_demo_compliance_matches_the_domain_flags(demo: Runtime) -> None:
    runner = runner_for(demo)
    runner.catch_up()
    now = datetime.now(UTC)
    page = queries.compliance(runner.reads_of(KAB), KAB, now, limit=500)
    expected = demo.logs.log(KAB).compliance_flags(now)
    assert [(f["entry"], f["rule"], f["detail"]) for f in page.items] == [
        (f.entry, f.rule, f.detail) for f in expected
    ]
    days = queries.unit_days(runner.reads_of(KAB), BREACH_UNIT, None, None, limit=500, agency=KAB)
    assert any(not d["minimum_held"] for d in days.items)


def test_demo_report_counts_presence_at_the_lapse_beside_the_schedule(demo: Runtime) -> None:
    runner = runner_for(demo)
    runner.catch_up()
    state = demo.logs.log(KAB).agency_state
    subject = complaint_id(demo_period())
    report = investigation_report(state, runner.reads_of(KAB), subject, datetime.now(UTC))
    complaint = state.complaint(subject)
    assert complaint is not None
    day, at = complaint.lapse_at.date(), complaint.lapse_at.strftime("%H:%M")
    staff = sorted(state.staff_on(BREACH_UNIT, day))
    present = sorted(
        nip
        for nip in staff
        if (p := state.presence_on(nip, day)) is not None
        and p.location_kind == "office"
        and p.present_at(at)
    )
    [unit] = [u for u in UNITS if u.id == BREACH_UNIT]
    counted = report["present_at_lapse"]
    assert counted == {  # type: ignore[comparison-overlap]
        "at": "10:40",
        "count": len(present),
        "basis": "presence",
        "nips": present,
        "no_presence_record": [],
    }
    assert len(present) < report["scheduled_on_site"]["count"] == 7  # type: ignore[index]
    assert report["minimum_held_by_presence"] is False
    assert len(present) < unit.min_on_site
    late = person(LATE[0])
    assert [(a["nip"], a["in"]) for a in report["late_arrivals"]] == [(late.nip, LATE[1])]  # type: ignore[attr-defined]
    texts = [s["statement"] for s in report["statements"]]  # type: ignore[attr-defined]
    assert any(f"{late.name} ({late.nip}) at 10:41 (late arrival)" in t for t in texts)
    assert any(
        f"At 10:40, {len(present)} were present" in t and "basis: presence" in t for t in texts
    )
    assert any(f"BREACHED by presence ({len(present)} present at 10:40)" in t for t in texts)
    findings = complaint.findings or ""
    scheduled = report["scheduled_on_site"]["count"]  # type: ignore[index]
    assert f"{scheduled} pegawai terjadwal di tempat" in findings
    assert f"hanya {len(present)} yang hadir pukul 10.40" in findings
    assert f"dari {len(staff)} pegawai" in findings
    [unit_day] = [
        d
        for d in queries.unit_days(
            runner.reads_of(KAB), BREACH_UNIT, None, None, limit=500, agency=KAB
        ).items
        if d["day"] == day.isoformat()
    ]
    assert [p["nip"] for p in report["staff"]] == staff  # type: ignore[attr-defined]
    assert unit_day["staff"] == len(staff)
    assert [p["nip"] for p in report["on_site"]] == unit_day["on_site"]  # type: ignore[attr-defined]
    assert sorted([*unit_day["on_site"], *(nip for nip, _ in unit_day["location"])]) == staff


NEW_RULES = {
    "arrangement-after-penalty": "joni",
    "weekly-hours-short": "ratna",
    "decision-by-non-approver": "yoga",
    "location-not-designated": "laras",
    "predikat-inconsistent": "siti",
    "evaluation-missing": UNEVALUATED,
    "future-dated": "desi",
}


def test_demo_read_models_carry_the_new_flags_with_their_units(demo: Runtime) -> None:
    from api.demo.cast import AGENCIES

    runner = runner_for(demo)
    runner.catch_up()
    now = datetime.now(UTC)
    items = [f for a in AGENCIES for f in queries.compliance(runner.reads_of(a), a, now, 500).items]
    for rule, who in NEW_RULES.items():
        [flag] = [f for f in items if f["rule"] == rule]
        text = f"{flag['subject']} {flag['detail']}"
        assert person(who).nip in text or f"-{who} " in text
    [sequence] = [f for f in items if f["rule"] == "complaint-out-of-sequence"]
    assert sequence["subject"] == minor_complaint_id(demo_period())
    assert "before any clarification" in sequence["detail"]
    ratna = person("ratna")
    unit_flags = queries.compliance(runner.reads_of(KAB), KAB, now, 500, None, ratna.unit).items
    assert "weekly-hours-short" in {f["rule"] for f in unit_flags}
