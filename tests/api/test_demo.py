"""The demo data set: loaded through the append path on a simulated clock, flagged as designed."""

from __future__ import annotations

import base64
import json
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from api.demo.cast import AGENCIES, KAB, KEMEN, KEYS, ORGS, PEOPLE, person
from api.demo.load import (
    TOKENS_FILE,
    DemoNeedsNewLogError,
    demo_period,
    demo_tokens,
    open_demo_runtime,
    run_demo,
)
from api.demo.plan import Period, request_id
from api.demo.story import (
    BREACH_DAY,
    UNEVALUATED,
    build_plan,
    closed_month,
    complaint_id,
    minor_complaint_id,
)
from api.demo.work import FUTURE_LEAD
from domain.state import LedgerState
from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from ledger.tokens import resolve_token
from verification.leaf import parse_instant

EXPECTED_FLAGS = {
    "approver-not-supervisor": 2,  # intan approved by the head of bureau; yuliana by herself
    "arrangement-after-penalty": 1,  # joni penalised while holding an approved Thursday
    "backdated": 1,
    "complaint-out-of-sequence": 1,  # the minor complaint's finding before any clarification
    "decision-by-non-approver": 1,  # yoga's week-3 request rejected by the head of bureau
    "evaluation-missing": 1,  # rudi has no evaluation for the closed month
    "evaluator-not-assessor": 1,
    "future-dated": 1,  # desi's week-3 Wednesday report stamped three days ahead
    "ineligible-discipline": 1,
    "ineligible-position": 1,
    "ineligible-probation": 1,
    "late-decision": 1,
    "location-not-designated": 1,  # laras at a co-working space the ministry did not designate
    "missing-output-report": 3,
    "on-site-minimum-breached": 1,
    "predikat-inconsistent": 1,  # siti's predikat does not follow from her quadrant
    "self-approval": 1,
    "unit-quota-exceeded": 2,  # the fourth and the fifth approval for the same Wednesday
    "weekly-cap-exceeded": 1,
    "weekly-hours-short": 1,  # ratna left at 12:30 three days of week 1
}


@dataclass
class Loaded:
    settings: Settings
    runtime: Runtime
    summary: str
    period: Period


def _settings(path: Path) -> Settings:
    return Settings.from_env({"JEJAK_DATA_DIR": str(path)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    settings = _settings(tmp_path_factory.mktemp("demo"))
    runtime, summary = open_demo_runtime(settings)
    assert summary is not None
    yield Loaded(settings, runtime, summary, demo_period())
    runtime.close()


def _state(runtime: Runtime, agency: str = KAB) -> LedgerState:
    """The folded state of an agency's log."""
    return runtime.logs.log(agency).agency_state


def _payload(runtime: Runtime, index: int, log: str = KAB) -> dict[str, object]:
    """The payload of entry `index` of `log` (an entry is named by its log and index)."""
    envelope = runtime.logs.log(log).entry(index).envelope
    decoded: dict[str, object] = json.loads(base64.b64decode(str(envelope["payload"])))
    return decoded


def _now() -> datetime:
    return datetime.now(UTC)


def test_every_planned_event_is_appended(demo: Loaded) -> None:
    planned = build_plan(demo.period)
    logs = demo.runtime.logs
    # the registry log: genesis + the operator's organisations and keys
    assert logs.registry.size == 1 + len(ORGS) + len(KEYS)
    # each agency log: every agency and oversight event about that agency, nothing else
    planned_by_log = Counter(e.agency for e in planned)
    assert {a: logs.log(a).size for a in AGENCIES} == dict(planned_by_log)
    assert logs.ids() == ["operator", *AGENCIES]
    total = logs.registry.size + len(planned)
    assert f"{total} entries" in demo.summary
    assert f"operator {logs.registry.size}, {KAB} {planned_by_log[KAB]}" in demo.summary
    assert f"{complaint_id(demo.period)}, {minor_complaint_id(demo.period)}" in demo.summary


def test_every_flag_rule_appears_as_designed(demo: Loaded) -> None:
    runtime = demo.runtime
    found = Counter(f.rule for a in AGENCIES for f in runtime.logs.log(a).compliance_flags(_now()))
    assert found == Counter(EXPECTED_FLAGS)
    for rule in EXPECTED_FLAGS:
        assert rule in demo.summary


@pytest.mark.parametrize(
    ("rule", "who", "week"),
    [
        ("weekly-cap-exceeded", "dedi", 0),
        ("missing-output-report", "andi", 0),
        ("ineligible-probation", "tri", 0),
        ("approver-not-supervisor", "intan", 0),
        ("unit-quota-exceeded", "meli", 1),
        ("on-site-minimum-breached", "meli", 1),
        ("ineligible-discipline", "joni", 1),
        ("self-approval", "yuliana", 1),
        ("ineligible-position", "slamet", 1),
        ("late-decision", "ayu", 1),
        ("backdated", "riki", 1),
        ("missing-output-report", "galih", 2),
        ("missing-output-report", "bayu", 2),
        ("decision-by-non-approver", "yoga", 2),
        ("location-not-designated", "laras", 2),
        ("future-dated", "desi", 2),
    ],
)
def test_flag_lands_on_the_intended_request(demo: Loaded, rule: str, who: str, week: int) -> None:
    subject = request_id(person(who), demo.period, week)
    view = _state(demo.runtime, person(who).agency).subject_view(subject, _now())
    assert view is not None
    assert rule in {flag.rule for flag in view.flags}


def test_evaluation_by_someone_other_than_the_assessor_is_flagged(demo: Loaded) -> None:
    subject = f"eval:{person('novita').nip}:{demo.period.label}"
    view = _state(demo.runtime, person("novita").agency).subject_view(subject)
    assert view is not None
    assert [flag.rule for flag in view.flags] == ["evaluator-not-assessor"]
    assert view.state["evaluator"] == person("firmansyah").nip


def test_quota_and_on_site_flags_fall_on_the_short_staffed_day(demo: Loaded) -> None:
    day = demo.period.day(*BREACH_DAY).isoformat()
    for flag in demo.runtime.logs.log(KAB).compliance_flags(_now()):
        if flag.rule in ("unit-quota-exceeded", "on-site-minimum-breached"):
            assert day in flag.detail
            assert "bu-disdukcapil" in flag.detail


def test_complaint_finding_cites_the_short_staffed_days_requests(demo: Loaded) -> None:
    runtime = demo.runtime
    view = _state(runtime).subject_view(complaint_id(demo.period))
    assert view is not None
    assert view.kind == "complaint"
    state = view.state
    assert state["substantiated"] is True
    assert state["status"] == "corrective_action"
    assert state["form"] == "penundaan_berlarut"
    lapse = datetime.fromisoformat(str(state["lapse_at"]))
    assert lapse.date() == demo.period.day(*BREACH_DAY)
    assert "08:00" <= lapse.strftime("%H:%M") <= "15:00"  # within the unit's service hours
    cited = state["finding_entries"]
    assert isinstance(cited, list)
    assert len(cited) == 10  # five requests and their five approvals
    breach_day = demo.period.day(*BREACH_DAY).isoformat()
    for index in cited:  # indexes of the complaint's agency's log, which holds the complaint
        payload = _payload(runtime, index, KAB)
        assert payload["type"] in ("wfa.requested", "wfa.approved")
        assert payload["agency"] == KAB
        request = _state(runtime).request(str(payload["subject"]))
        assert request is not None
        assert request.unit == "bu-disdukcapil"
        assert breach_day in {d.isoformat() for d in request.approved_dates}


def test_inspectorate_annotates_the_backdated_report(demo: Loaded) -> None:
    subject = request_id(person("riki"), demo.period, 1)
    view = _state(demo.runtime, person("riki").agency).subject_view(subject)
    assert view is not None
    annotations = view.state["annotations"]
    assert isinstance(annotations, list)
    assert len(annotations) == 1
    [backdated] = [f for f in view.flags if f.rule == "backdated"]
    assert annotations[0]["annotates"] == backdated.entry


def test_entries_are_integrated_minutes_after_they_occurred(demo: Loaded) -> None:
    runtime = demo.runtime
    lags, last = [], None
    for agency in AGENCIES:
        ledger = runtime.logs.log(agency)
        for index in range(ledger.size):
            entry = ledger.entry(index)
            occurred = datetime.fromisoformat(str(_payload(runtime, index, agency)["occurred_at"]))
            at = parse_instant(str(entry.leaf["integrated_at"]))
            lags.append(at - occurred)
            last = at if last is None else max(last, at)
    ahead = [lag for lag in lags if lag < timedelta(0)]
    assert len(ahead) == 1  # the report stamped by a phone three days ahead
    assert -ahead[0] > FUTURE_LEAD - timedelta(hours=1)
    assert sum(1 for lag in lags if lag > timedelta(hours=1)) == 1  # the backdated report
    assert last is not None
    assert last.date() <= demo.period.end < _now().date()


def test_clock_reads_real_time_once_loaded(demo: Loaded) -> None:
    assert abs(demo.runtime.logs.clock() - _now()) < timedelta(minutes=1)
    assert demo.runtime.operator.clock is demo.runtime.logs.clock


def test_reopening_loads_nothing_and_replays_the_same_flags(demo: Loaded) -> None:
    logs, now = demo.runtime.logs, _now()
    sizes = {log: logs.log(log).size for log in logs.ids()}
    live = [demo.runtime.logs.log(a).compliance_flags(now) for a in AGENCIES]
    runtime, summary = open_demo_runtime(demo.settings)
    try:
        assert summary is None
        assert {log: runtime.logs.log(log).size for log in runtime.logs.ids()} == sizes
        assert [runtime.logs.log(a).compliance_flags(now) for a in AGENCIES] == live
    finally:
        runtime.close()
    assert "already loaded" in run_demo(demo.settings)


def test_tokens_file_is_private_and_its_tokens_resolve(demo: Loaded) -> None:
    path = demo.settings.data_dir / TOKENS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens = demo_tokens(demo.settings)
    recorder = demo.runtime.registry.store.recorder
    roles = {label: resolve_token(recorder, token) for label, token in tokens.items()}
    assert {label: (p.role, p.org) for label, p in roles.items() if p is not None} == {
        "operator": ("operator", None),
        "inspector": ("inspector", "inspektorat-bengkulu-utara"),
        "ombudsman": ("ombudsman", "ombudsman-ri"),
        f"agency {KAB}": ("agency", KAB),
        f"agency {KEMEN}": ("agency", KEMEN),
    }


def test_demo_tokens_are_empty_without_a_demo(tmp_path: Path) -> None:
    assert demo_tokens(_settings(tmp_path)) == {}


def test_demo_refuses_a_log_that_is_not_new(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    open_runtime(settings).close()  # a log started in real time: only its genesis entry
    with pytest.raises(DemoNeedsNewLogError, match="only into a new log"):
        run_demo(settings)
    runtime = open_runtime(settings)
    try:
        assert runtime.registry.size == 1
        assert runtime.logs.ids() == ["operator"]
    finally:
        runtime.close()
    assert not (tmp_path / TOKENS_FILE).exists()


def test_plan_is_deterministic_and_enrols_everyone_once() -> None:
    period = Period(date(2026, 11, 2))
    first, second = build_plan(period), build_plan(period)
    assert [e.payload({}) for e in first if not e.cites] == [
        e.payload({}) for e in second if not e.cites
    ]
    enrolled = [e.subject for e in first if e.type == "employee.enrolled"]
    assert sorted(enrolled) == sorted(p.nip for p in PEOPLE)
    assert all(len(nip) == 18 and nip.isdigit() for nip in enrolled)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 11, 28), date(2026, 11, 2), date(2026, 11, 22)),  # a Saturday
        (date(2026, 11, 23), date(2026, 11, 2), date(2026, 11, 22)),  # a Monday
        (date(2027, 1, 6), date(2026, 12, 14), date(2027, 1, 3)),  # across the new year
    ],
)
def test_period_is_the_last_three_full_weeks(today: date, start: date, end: date) -> None:
    period = Period.ending_before(today)
    assert (period.start, period.end) == (start, end)
    assert period.start.weekday() == 0


def test_presence_is_recorded_for_every_employee_and_working_day(demo: Loaded) -> None:
    missing = []
    for who in PEOPLE:
        state = _state(demo.runtime, who.agency)
        for week in range(3):
            for weekday in range(5):
                day = demo.period.day(week, weekday)
                if (
                    day >= who.placed_at(demo.period.start)
                    and state.presence_on(who.nip, day) is None
                ):
                    missing.append((who.label, day))
    assert missing == []


def test_the_counter_clerk_arrives_after_the_lapse_on_the_breach_day(demo: Loaded) -> None:
    state = _state(demo.runtime, person("bambang").agency)
    presence = state.presence_on(person("bambang").nip, demo.period.day(*BREACH_DAY))
    assert presence is not None
    assert (presence.arrived, presence.location_kind) == ("10:41", "office")
    assert not presence.present_at("10:40")


def test_penalty_flag_names_the_day_still_held(demo: Loaded) -> None:
    state = _state(demo.runtime, person("joni").agency)
    view = state.subject_view(person("joni").nip, _now())
    assert view is not None
    [flag] = view.flags
    assert flag.rule == "arrangement-after-penalty"
    assert demo.period.day(1, 3).isoformat() in flag.detail
    request = state.request(request_id(person("joni"), demo.period, 1))
    assert request is not None
    assert request.status == "revoked"


def test_future_dated_report_is_desis_wednesday_sent_days_before_its_stamp(
    demo: Loaded,
) -> None:
    runtime = demo.runtime
    desi = person("desi")
    subject = request_id(desi, demo.period, 2)
    view = _state(runtime, desi.agency).subject_view(subject, _now())
    assert view is not None
    [flag] = [f for f in view.flags if f.rule == "future-dated"]
    payload = _payload(runtime, flag.entry, desi.agency)
    assert payload["type"] == "work.output_reported"
    data = payload["data"]
    assert isinstance(data, dict)
    assert data["date"] == demo.period.day(2, 2).isoformat()
    entry = runtime.logs.log(desi.agency).entry(flag.entry)
    integrated = parse_instant(str(entry.leaf["integrated_at"]))
    occurred = datetime.fromisoformat(str(payload["occurred_at"]))
    assert integrated.date() == demo.period.day(2, 2)
    assert occurred - integrated > FUTURE_LEAD - timedelta(hours=1)


def test_only_rudi_lacks_an_evaluation_for_the_closed_month(demo: Loaded) -> None:
    state = _state(demo.runtime, KAB)
    name, first, last = closed_month(demo.period)
    assert last + timedelta(days=10) < demo.period.day(2, 4)  # its deadline passed in the demo
    policy = state.policy(KAB)
    assert policy is not None
    assert policy.versions[0].effective_from == first
    rudi = person(UNEVALUATED)
    view = state.subject_view(f"presence:{rudi.nip}", _now())
    assert view is not None
    assert [(f.rule, f.detail) for f in view.flags] == [
        ("evaluation-missing", f"{rudi.nip} has no evaluation for {name}, due by "
         f"{(last + timedelta(days=10)).isoformat()}")
    ]  # fmt: skip
    for who in PEOPLE:
        if who.agency != KAB or who.supervisor is None or who.label == UNEVALUATED:
            continue
        if who.placed_at(demo.period.start) > last:
            continue
        assert state.subject_view(f"eval:{who.nip}:{name}") is not None, who.label


def test_minor_complaint_is_found_before_any_clarification_and_closed(demo: Loaded) -> None:
    state = _state(demo.runtime, KAB)
    subject = minor_complaint_id(demo.period)
    view = state.subject_view(subject)
    assert view is not None
    assert view.kind == "complaint"
    assert view.state["status"] == "closed"
    assert view.state["substantiated"] is False
    assert [f.rule for f in view.flags] == ["complaint-out-of-sequence"]
    assert "before any clarification or evidence" in view.flags[0].detail
    main = state.subject_view(complaint_id(demo.period))
    assert main is not None
    assert main.flags == ()  # the lapse complaint was heard before its finding
