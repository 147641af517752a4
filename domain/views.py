"""JSON-ready renderings of aggregates and the SubjectView read model."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from domain.aggregates import (
    Aggregate,
    Annotation,
    Complaint,
    Employee,
    Evaluation,
    Key,
    Org,
    Policy,
    PolicyVersion,
    Presence,
    Request,
    Unit,
)
from domain.flags import Flag


@dataclass(frozen=True)
class SubjectView:
    """A subject's folded state, flags and entry indexes, as of some instant."""

    subject: str
    kind: str
    state: Mapping[str, object]
    flags: tuple[Flag, ...]
    indexes: tuple[int, ...]


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _policy_version(v: PolicyVersion) -> dict[str, object]:
    positions = None if v.eligible_positions is None else sorted(v.eligible_positions)
    return {
        "version": v.version,
        "effective_from": v.effective_from.isoformat(),
        "max_location_days_per_week": v.max_location_days_per_week,
        "unit_quota_pct": v.unit_quota_pct,
        "probation_days": v.probation_days,
        "core_hours": {"start": v.core_hours[0], "end": v.core_hours[1]},
        "eligible_positions": positions,
        "decision_window_days": v.decision_window_days,
        "output_report_deadline_days": v.output_report_deadline_days,
        "backdating_limit_hours": v.backdating_limit_hours,
        "strict": sorted(v.strict),
        "entry": v.entry,
        "weekly_hours": v.weekly_hours,
        "ramadan": None
        if v.ramadan is None
        else {"from": _day(v.ramadan[0]), "to": _day(v.ramadan[1]), "weekly_hours": v.ramadan[2]},
        "evaluation_cadence": v.evaluation_cadence,
        "evaluation_deadline_days": v.evaluation_deadline_days,
        "designated_locations": sorted(v.designated_locations),
        "future_tolerance_minutes": v.future_tolerance_minutes,
        "approvers": sorted(v.approvers),
    }


def _request(r: Request) -> dict[str, object]:
    open_days = set(r.open_dates())
    per_day: dict[str, object] = {}
    for day in r.approved_dates:
        per_day[day.isoformat()] = {
            "in_effect": day in open_days,
            "attendance": [
                {"entry": a.entry, "start": a.start, "end": a.end, "location_kind": a.location_kind}
                for a in r.attendance
                if a.date == day
            ],
            "outputs": [
                {
                    "entry": o.entry,
                    "outputs": [
                        {"title": t, "target": g, "evidence_sha256": e} for t, g, e in o.outputs
                    ],
                }
                for o in r.outputs
                if o.date == day
            ],
            "reviews": [
                {"entry": v.entry, "reviewer": v.reviewer, "verdict": v.verdict, "note": v.note}
                for v in r.reviews
                if v.date == day
            ],
        }
    revocation = None
    if r.revoked_from is not None:
        revocation = {"effective_from": r.revoked_from.isoformat(), "reason": r.revoke_reason}
    return {
        "status": r.status,
        "employee": r.employee,
        "unit": r.unit,
        "kind": r.kind,
        "dates": [d.isoformat() for d in r.dates],
        "location": None
        if r.location is None
        else {"kind": r.location[0], "description": r.location[1]},
        "time_pattern": r.time_pattern,
        "special": r.special,
        "reason": r.reason,
        "targets": [{"id": i, "description": d} for i, d in r.targets],
        "approved_dates": [d.isoformat() for d in r.approved_dates],
        "approver": r.approver,
        "decided_at": _instant(r.decided_at),
        "decision_entry": r.decision_entry,
        "policy_version": r.policy_version,
        "revocation": revocation,
        "days": per_day,
        "history": [
            {
                "entry": h.entry,
                "status": h.status,
                "actor": h.actor,
                "at": h.at.isoformat(),
                "reason": h.reason,
            }
            for h in r.history
        ],
    }


def _complaint(c: Complaint) -> dict[str, object]:
    return {
        "status": c.status,
        "unit": c.unit,
        "service": c.service,
        "lapse_at": c.lapse_at.isoformat(),
        "form": c.form,
        "summary": c.summary,
        "substantiated": c.substantiated,
        "findings": c.findings,
        "finding_entries": list(c.finding_entries),
        "action": c.action,
        "due": _day(c.due),
        "outcome": c.outcome,
        "history": [
            {
                "entry": s.entry,
                "type": s.type,
                "actor": s.actor,
                "at": s.at.isoformat(),
                "text": s.text,
                "evidence_sha256": s.evidence_sha256,
            }
            for s in c.history
        ],
    }


def render(value: Aggregate | None) -> dict[str, object]:
    """An aggregate as plain JSON-serialisable data."""
    match value:
        case None:
            return {}
        case Org():
            return {"id": value.id, "kind": value.kind, "name": value.name}
        case Key():
            revoked = None
            if value.revoked_at is not None:
                revoked = {
                    "effective_at": value.revoked_at.isoformat(),
                    "reason": value.revoke_reason,
                }
            return {
                "keyid": value.keyid,
                "org": value.org,
                "public_key": base64.b64encode(value.public_key).decode("ascii"),
                "holder": value.holder,
                "valid_from": value.valid_from.isoformat(),
                "revoked": revoked,
            }
        case Policy():
            return {
                "agency": value.agency,
                "versions": [_policy_version(v) for v in value.versions],
            }
        case Unit():
            return {
                "agency": value.agency,
                "name": value.name,
                "public_service": value.public_service,
                "service_hours": {"start": value.service_hours[0], "end": value.service_hours[1]},
                "min_on_site": value.min_on_site,
            }
        case Employee():
            return {
                "agency": value.agency,
                "name": value.name,
                "unit": value.unit,
                "position": value.position,
                "supervisor": value.supervisor,
                "placed_at": value.placed_at.isoformat(),
                "discipline": value.discipline,
                "updates": [{"entry": u.entry, "fields": list(u.fields)} for u in value.updates],
                "placements": [
                    {"unit": p.unit, "entry": p.entry, "on": p.on.isoformat()}
                    for p in value.placements
                ],
            }
        case Request():
            return _request(value)
        case Evaluation():
            return {
                "employee": value.employee,
                "period": value.period,
                "results": value.results,
                "behaviour": value.behaviour,
                "predikat": value.predikat,
                "evaluator": value.evaluator,
                "entry": value.entry,
            }
        case Complaint():
            return _complaint(value)
        case Presence():
            return {
                "employee": value.nip,
                "agency": value.agency,
                "date": value.date.isoformat(),
                "in": value.arrived,
                "out": value.left,
                "location_kind": value.location_kind,
                "source": value.source,
                "entry": value.entry,
            }


def render_annotations(annotations: tuple[Annotation, ...]) -> list[dict[str, object]]:
    return [
        {"entry": a.entry, "annotates": a.target, "note": a.note, "actor": a.actor}
        for a in annotations
    ]
