"""The Ombudsman's investigation report: the complaint's unit at its lapse, from the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from domain.state import LedgerState
from ledger.errors import NotFoundError
from projections import queries
from projections.report_presence import arrivals_text, presence_at_lapse
from projections.store import ReadRecorder


def _statement(text: str, entries: Iterable[int], **facts: object) -> dict[str, object]:
    return {"statement": text, "entries": sorted(set(entries)), **facts}


def _indexes(state: LedgerState, subject: str, at: datetime | None = None) -> tuple[int, ...]:
    view = state.subject_view(subject, at)
    return () if view is None else view.indexes


def _arrangement(
    state: LedgerState, rid: str, day: str, lapse: datetime, staff: Mapping[str, Any]
) -> dict[str, object] | None:
    now = state.subject_view(rid)
    then = state.subject_view(rid, lapse) or now  # recorded after the lapse: as it stands now
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
        "recorded_after_lapse": then is now,
    }


def investigation_report(
    state: LedgerState, reads: ReadRecorder, subject: str, now: datetime
) -> dict[str, object]:
    """Who was on site and on flexible work, on what approval, and what held, with citations.

    `state` is the complaint's agency log's (a complaint about an agency is in that agency's
    log), `reads` that log's read store; every entry cited is an index of that log."""
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
    for nip in sorted(state.staff_on(unit_id, day)):  # the agency's dates, as the unit days
        view = state.subject_view(nip, lapse) or state.subject_view(nip)
        if view is not None:
            staff[nip] = dict(view.state)
            staff_entries[nip] = view.indexes
    known_then = sorted(state.staff_at(unit_id, lapse))
    found = [
        _arrangement(state, str(row["request"]), day.isoformat(), lapse, staff)
        for row in queries.work_days_on(reads, unit_id, day, complaint.agency)
    ]
    arrangements = [
        a for a in found if a is not None and a["in_effect_at_lapse"] and a["employee"] in staff
    ]
    away = {str(a["employee"]): str(a["request"]) for a in arrangements if a["kind"] == "location"}
    timeflex = {
        str(a["employee"]): str(a["request"]) for a in arrangements if a["kind"] != "location"
    }
    on_site = [nip for nip in staff if nip not in away]
    names = {nip: person.get("name") for nip, person in staff.items()}
    hhmm = lapse.strftime("%H:%M")
    presence = presence_at_lapse(state, staff, names, away, timeflex, day, hhmm)
    people: list[dict[str, Any]] = presence["people"]  # type: ignore[assignment]
    recorded = [p for p in people if p["presence"] is not None]
    presence_entries = [int(p["presence"]["entry"]) for p in recorded]
    present_count = int(str(presence["present_count"]))
    decisions = [e for a in arrangements for e in a["entries"]]  # type: ignore[attr-defined]
    people_entries = [e for nip in staff for e in staff_entries[nip]]
    policy_entries = [] if version is None else [version.entry]
    statements = [
        _statement(
            f"{complaint.id} reports a lapse at {unit_id} at {lapse.isoformat()}.",
            [complaint.filed_entry],
            says="filed",
        ),
        _statement(
            f"{len(staff)} employees were in the unit on {day.isoformat()} by the agency's "
            "placement dates (placed_at), as the unit-day view counts them.",
            [*unit_entries, *people_entries],
            says="enrolled",
            staff=len(staff),
        ),
    ]
    if known_then != sorted(staff):
        later = sorted(set(staff) - set(known_then))
        gone = sorted(set(known_then) - set(staff))
        statements.append(
            _statement(
                f"At the lapse the log knew {len(known_then)} of the unit's staff; recorded "
                f"only later: {len(later)} ({', '.join(later) or 'none'})"
                + (
                    f", and {len(gone)} it then placed here were not ({', '.join(gone)})"
                    if gone
                    else ""
                )
                + ".",
                [e for nip in later for e in staff_entries.get(nip, ())],
                says="known",
                known=len(known_then),
                later=later,
                gone=gone,
            )
        )
    statements += [
        _statement(
            f"{len(on_site)} were scheduled on site (basis: scheduled: in the unit and not on "
            f"location flexibility); {len(away)} were on location flexibility and "
            f"{len(timeflex)} on time flexibility.",
            [*decisions, *people_entries],
            says="presence",
            on_site=len(on_site),
            away=len(away),
            time=len(timeflex),
        ),
        _statement(
            f"At {hhmm}, {present_count} were present in the office by their presence records "
            f"(basis: presence; {len(recorded)} of {len(staff)} have a record for the day, "
            f"{len(staff) - len(recorded)} no record).",
            presence_entries,
            says="present",
            at=hhmm,
            present=present_count,
            recorded=len(recorded),
            staff=len(staff),
        ),
    ]
    after: list[dict[str, Any]] = presence["arrived_after_lapse"]  # type: ignore[assignment]
    if after:
        statements.append(
            _statement(
                f"Arrived after the lapse: {arrivals_text(after)}.",
                [int(a["entry"]) for a in after],
                says="arrived",
                arrivals=after,
            )
        )
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
    held_present = not unit.public_service or present_count >= unit.min_on_site
    quota_held = version is None or len(away) * 100 <= version.unit_quota_pct * len(staff)
    statements.append(
        _statement(
            f"On-site minimum {unit.min_on_site}: {'held' if held_present else 'BREACHED'} by "
            f"presence ({present_count} present at {hhmm}); "
            f"{'held' if minimum_held else 'BREACHED'} by schedule ({len(on_site)} scheduled).",
            [*unit_entries, *decisions, *presence_entries],
            says="minimum",
            held=minimum_held,
            held_present=held_present,
            present=present_count,
            at=hhmm,
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
        for c in queries.unit_complaints(reads, unit_id, complaint.agency)
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
        "log": complaint.agency,  # every cited entry is an index of the agency's log
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
        "staff_basis": "placed_at",
        "staff": people,
        "log_at_lapse": {"staff": known_then, "differs": known_then != sorted(staff)},
        "present_at_lapse": {
            "at": hhmm,
            "count": present_count,
            "basis": "presence",
            "nips": presence["present"],
            "no_presence_record": presence["no_presence_record"],
        },
        "scheduled_on_site": {"count": len(on_site), "basis": "scheduled"},
        "arrived_after_lapse": after,
        "late_arrivals": presence["late_arrivals"],
        "flexible": arrangements,
        "minimum_held": minimum_held,
        "minimum_held_by_presence": held_present,
        "quota_held": quota_held,
        "earlier_complaints": earlier,
        "earlier_flags": flags,
        "statements": statements,
        "entries": cited,
        "bundle": f"/v1/bundles?complaint={quote(subject, safe='')}",
    }
