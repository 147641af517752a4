"""The new rules through the real append path: the compliance read model and an agency bundle's
verifier replay carry the same flags as the domain."""

from __future__ import annotations

from datetime import timedelta

from ledger.export import BundleQuery, plan_export, stream_bundle
from projections import queries
from tests.projections.helpers import rules, runner_for
from tests.support import (
    AGENCY,
    HEAD,
    OMBUDSMAN_OFFICER,
    STAFF,
    STAFF2,
    UNIT,
    World,
    now,
    payload,
    policy_data,
    wfa_request,
)
from verification.verifier import verify_bytes

NEW_RULES = {
    "complaint-out-of-sequence",
    "decision-by-non-approver",
    "evaluation-missing",
    "future-dated",
    "predikat-inconsistent",
    "weekly-hours-short",
}


def _presence(day: str, start: str, end: str) -> dict[str, object]:
    return {"date": day, "in": start, "out": end, "location_kind": "office", "source": "siap"}


def _append_cases(world: World) -> None:
    today = now().date()
    monday = today - timedelta(days=today.weekday())
    cadence = {"evaluation_cadence": "monthly", "evaluation_deadline_days": 10}
    long_ago = (today - timedelta(days=200)).isoformat()
    in_force = policy_data()["effective_from"]
    future = payload("wfa.requested", "req-future", STAFF, wfa_request(STAFF))
    future["occurred_at"] = (now() + timedelta(days=180)).isoformat()
    evaluation: dict[str, object] = {
        "employee": STAFF2,
        "period": "2026-11",
        "results": "di_bawah",
        "behaviour": "sesuai",
        "predikat": "baik",
    }
    short_week = [
        payload(
            "presence.recorded",
            f"presence:{STAFF}",
            STAFF,
            _presence((monday - timedelta(days=14 - n)).isoformat(), "08:00", "12:00"),
        )
        for n in range(5)
    ]
    next_week = (monday - timedelta(days=7)).isoformat()
    world.append(
        payload(
            "policy.enacted",
            f"policy:{AGENCY}",
            HEAD,
            policy_data(version=2, effective_from=long_ago, **cadence),
        ),
        payload(
            "policy.enacted",
            f"policy:{AGENCY}",
            HEAD,
            policy_data(version=3, effective_from=in_force, **cadence),
        ),
        future,
        payload("wfa.requested", "req-rejected", STAFF, wfa_request(STAFF)),
        payload("wfa.rejected", "req-rejected", STAFF2, dict(reason="bukan atasan")),
        payload("evaluation.recorded", f"eval:{STAFF2}:2026-11", HEAD, evaluation),
        *short_week,
        payload(
            "presence.recorded", f"presence:{STAFF}", STAFF, _presence(next_week, "07:30", "16:00")
        ),
    )
    filed = payload(
        "complaint.filed",
        "lm-seq-0001",
        OMBUDSMAN_OFFICER,
        {
            "unit": UNIT,
            "service": "KTP-el",
            "lapse_at": now().isoformat(),
            "form": "penundaan_berlarut",
            "summary": "Loket tutup",
        },
    )
    finding = payload(
        "complaint.finding_recorded",
        "lm-seq-0001",
        OMBUDSMAN_OFFICER,
        {"substantiated": True, "findings": "LAHP tanpa klarifikasi"},
    )
    logs = world.runtime.logs
    logs.append([logs.prepare(world.ombudsman_signer.sign(p)) for p in (filed, finding)])


def test_new_flags_reach_the_compliance_read_model_as_the_domain_raised_them(
    world: World,
) -> None:
    _append_cases(world)
    runner = runner_for(world.runtime)
    runner.catch_up()
    assert set(rules(runner)) >= NEW_RULES
    at = now()
    page = queries.compliance(runner.reads_of(AGENCY), AGENCY, at, limit=500)
    expected = world.runtime.logs.log(AGENCY).compliance_flags(at)
    assert [(f["entry"], f["rule"], f["detail"]) for f in page.items] == [
        (f.entry, f.rule, f.detail) for f in expected
    ]
    by_unit = queries.compliance(runner.reads_of(AGENCY), AGENCY, at, 500, None, UNIT).items
    assert {"weekly-hours-short", "evaluation-missing"} <= {f["rule"] for f in by_unit}


def test_new_flags_are_replayed_by_the_verifier_from_the_agency_bundle(world: World) -> None:
    _append_cases(world)
    runtime = world.runtime
    plan = plan_export(runtime.logs, BundleQuery(agency=AGENCY), None)
    text = "".join(stream_bundle(runtime.logs, plan)).encode()
    outcome = verify_bytes(text, runtime.log_verifier_key)
    assert outcome.failures == []
    flags = outcome.replay.flags
    replayed = {f.rule for (log, _), found in flags.items() if log == AGENCY for f in found}
    assert replayed >= NEW_RULES
    server = {(f.entry, f.rule, f.detail) for f in runtime.logs.log(AGENCY).compliance_flags(now())}
    mine = {
        (f.entry, f.rule, f.detail)
        for (log, _), found in flags.items()
        if log == AGENCY
        for f in found
    }
    assert {x for x in server if x[1] in NEW_RULES} == {x for x in mine if x[1] in NEW_RULES}
