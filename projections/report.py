"""The Ombudsman's investigation report: the complaint's unit at its lapse, from the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from domain.state import LedgerState
from ledger.errors import NotFoundError
from projections import queries
from projections.store import ReadRecorder


def _statement(text: str, entries: Iterable[int], **facts: object) -> dict[str, object]:
    return {"statement": text, "entries": sorted(set(entries)), **facts}


def _indexes(state: LedgerState, subject: str, at: datetime | None = None) -> tuple[int, ...]:
    view = state.subject_view(subject, at)
    return () if view is None else view.indexes


def _arrangement(
    state: LedgerState, rid: str, day: str, lapse: datetime, staff: Mapping[str, Any]
) -> dict[str, object] | None:
    then = state.subject_view(rid, lapse)
    now = state.subject_view(rid)
    if then is None or now is None:
        return None
    s: Mapping[str, Any] = then.state
    in_effect = bool(s.get("days", {}).get(day, {}).get("in_effect"))
    employee = str(s["employee"])
    person = staff.get(employee, {})
    supervisor = person.get("supervisor")
    approver = s.get("approver")
    right = approver is not None and approver == supervisor and approver != employee
    cited = [e for e in (then.indexes[0], s.get("decision_entry")) if isinstance(e, int)]
    days: Mapping[str, Any] = now.state.get("days") or {}  # type: ignore[assignment]
    today: Mapping[str, Any] = days.get(day, {})
    outputs = today.get("outputs", [])
    return {
        "request": rid,
        "employee": employee,
        "name": person.get("name"),
        "kind": s["kind"],
        "status_at_lapse": s["status"],
        "in_effect_at_lapse": in_effect,
        "approver": approver,
        "supervisor": supervisor,
        "approved_by_supervisor": right,
        "policy_version": s.get("policy_version"),
        "flags": [f.as_json() for f in now.flags],
        "outputs": outputs,
        "attendance": today.get("attendance", []),
        "entries": sorted(set(cited)),
        "output_entries": [int(o["entry"]) for o in outputs],
    }


def investigation_report(
    state: LedgerState, reads: ReadRecorder, subject: str, now: datetime
) -> dict[str, object]:
    """Who was on site and on flexible work, on what approval, and what held, with citations."""
    complaint = state.complaint(subject)
    if complaint is None:
        raise NotFoundError(f"there is no complaint {subject!r}")
    lapse, unit_id = complaint.lapse_at, complaint.unit
    day = lapse.date()
    unit = state.unit(unit_id)
    if unit is None:
        raise NotFoundError(f"the complaint's unit {unit_id!r} is not registered")
    unit_entries = _indexes(state, unit_id)
    policy = state.policy(complaint.agency)
    version = None if policy is None else policy.in_force(day)
    staff: dict[str, dict[str, Any]] = {}
    staff_entries: dict[str, tuple[int, ...]] = {}
    for nip in sorted(state.staff_at(unit_id, lapse)):
        view = state.subject_view(nip, lapse)
        if view is not None:
            staff[nip] = dict(view.state)
            staff_entries[nip] = view.indexes
    found = [
        _arrangement(state, str(row["request"]), day.isoformat(), lapse, staff)
        for row in queries.work_days_on(reads, unit_id, day)
    ]
    arrangements = [a for a in found if a is not None and a["in_effect_at_lapse"]]
    away = {str(a["employee"]) for a in arrangements if a["kind"] == "location"}
    on_site = [nip for nip in staff if nip not in away]
    decisions = [e for a in arrangements for e in a["entries"]]  # type: ignore[attr-defined]
    people = [e for nip in staff for e in staff_entries[nip]]
    policy_entries = [] if version is None else [version.entry]
    statements = [
        _statement(
            f"{complaint.id} reports a lapse at {unit_id} at {lapse.isoformat()}.",
            [complaint.filed_entry],
            says="filed",
        ),
        _statement(
            f"{len(staff)} employees were enrolled in the unit at the lapse.",
            [*unit_entries, *people],
            says="enrolled",
            staff=len(staff),
        ),
        _statement(
            f"{len(on_site)} were on site; {len(away)} were on location flexibility and "
            f"{sum(1 for a in arrangements if a['kind'] != 'location')} on time flexibility.",
            [*decisions, *people],
            says="presence",
            on_site=len(on_site),
            away=len(away),
            time=sum(1 for a in arrangements if a["kind"] != "location"),
        ),
    ]
    for a in arrangements:
        verdict = "by the supervisor" if a["approved_by_supervisor"] else "NOT by the supervisor"
        statements.append(
            _statement(
                f"{a['employee']} ({a['name']}) on {a['kind']} flexibility under {a['request']}, "
                f"approved by {a['approver']} {verdict} ({a['supervisor']}), "
                f"policy version {a['policy_version']}.",
                [*a["entries"], *staff_entries.get(str(a["employee"]), ()), *policy_entries],  # type: ignore[misc]
                says="arrangement",
                request=a["request"],
            )
        )
    minimum_held = not unit.public_service or len(on_site) >= unit.min_on_site
    quota_held = version is None or len(away) * 100 <= version.unit_quota_pct * len(staff)
    statements.append(
        _statement(
            f"On-site minimum {unit.min_on_site}: {'held' if minimum_held else 'BREACHED'} "
            f"({len(on_site)} on site).",
            [*unit_entries, *decisions],
            says="minimum",
            held=minimum_held,
        )
    )
    if version is not None:
        statements.append(
            _statement(
                f"Quota {version.unit_quota_pct}% of {len(staff)} under policy version "
                f"{version.version}: {'held' if quota_held else 'EXCEEDED'} ({len(away)} away).",
                [version.entry, *decisions],
                says="quota",
                held=quota_held,
            )
        )
    outputs = [e for a in arrangements for e in a["output_entries"]]  # type: ignore[attr-defined]
    statements.append(
        _statement(
            f"{len(outputs)} output reports were recorded for {day.isoformat()}.",
            outputs,
            says="outputs",
            outputs=len(outputs),
        )
    )
    earlier = [
        c
        for c in queries.unit_complaints(reads, unit_id)
        if c["filed_entry"] < complaint.filed_entry
    ]
    flags = [
        f
        for f in queries.compliance(reads, complaint.agency, now, 10_000, None, unit_id).items
        if int(str(f["entry"])) < complaint.filed_entry
    ]
    statements.append(
        _statement(
            f"{len(earlier)} earlier complaints and {len(flags)} earlier flags for the unit.",
            [*(c["filed_entry"] for c in earlier), *(int(str(f["entry"])) for f in flags)],
            says="earlier",
            complaints=len(earlier),
            flags=len(flags),
        )
    )
    cited = sorted({e for s in statements for e in s["entries"]})  # type: ignore[attr-defined]
    return {
        "complaint": subject,
        "agency": complaint.agency,
        "unit": {
            "id": unit_id,
            "name": unit.name,
            "public_service": unit.public_service,
            "min_on_site": unit.min_on_site,
            "entries": list(unit_entries),
        },
        "lapse_at": lapse.isoformat(),
        "day": day.isoformat(),
        "form": complaint.form,
        "service": complaint.service,
        "status": complaint.status,
        "policy": None
        if version is None
        else {
            "version": version.version,
            "entry": version.entry,
            "unit_quota_pct": version.unit_quota_pct,
        },
        "on_site": [{"nip": n, "name": staff[n].get("name")} for n in on_site],
        "flexible": arrangements,
        "minimum_held": minimum_held,
        "quota_held": quota_held,
        "earlier_complaints": earlier,
        "earlier_flags": flags,
        "statements": statements,
        "entries": cited,
        "bundle": f"/v1/bundles?complaint={quote(subject, safe='')}",
    }
