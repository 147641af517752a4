"""Who was present in a unit at a complaint's lapse, from presence records, beside the schedule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from domain.aggregates import Presence
from domain.state import LedgerState

PRESENCE, SCHEDULED, NO_RECORD = "presence", "scheduled", "no record"


def _presence(record: Presence | None) -> dict[str, object] | None:
    if record is None:
        return None
    return {
        "in": record.arrived,
        "out": record.left,
        "location_kind": record.location_kind,
        "source": record.source,
        "entry": record.entry,
    }


def _schedule(nip: str, away: Mapping[str, str], timeflex: Mapping[str, str]) -> str:
    if nip in away:
        return "location_flexibility"
    return "time_flexibility" if nip in timeflex else "on_site"


def presence_at_lapse(
    state: LedgerState,
    staff: Iterable[str],
    names: Mapping[str, object],
    away: Mapping[str, str],
    timeflex: Mapping[str, str],
    day: date,
    hhmm: str,
) -> dict[str, object]:
    """Each staff member's schedule (from arrangements) and presence (from the attendance
    system) at `hhmm` on `day`, with the basis of what the report says about them:

    - `presence`: the day has a presence record; present means in the office, arrived by the
      lapse and not yet gone;
    - `scheduled`: no presence record, but an approved arrangement says where they were to be;
    - `no record`: neither; nothing in the log says where they were.
    """
    people: list[dict[str, object]] = []
    for nip in sorted(staff):
        record = state.presence_on(nip, day)
        scheduled = _schedule(nip, away, timeflex)
        present = None
        if record is not None:
            present = record.location_kind == "office" and record.present_at(hhmm)
            basis = PRESENCE
        else:
            basis = SCHEDULED if scheduled != "on_site" else NO_RECORD
        people.append(
            {
                "nip": nip,
                "name": names.get(nip),
                "scheduled": scheduled,
                "presence": _presence(record),
                "present": present,
                "basis": basis,
                "request": away.get(nip) or timeflex.get(nip),
            }
        )
    after = [
        {
            "nip": p["nip"],
            "name": p["name"],
            "in": seen["in"],
            "entry": seen["entry"],
            "time_flexibility": p["scheduled"] == "time_flexibility",
        }
        for p in people
        if isinstance(seen := p["presence"], dict)
        and seen["location_kind"] == "office"
        and str(seen["in"]) > hhmm
    ]
    return {
        "at": hhmm,
        "people": people,
        "present": [p["nip"] for p in people if p["present"] is True],
        "present_count": sum(1 for p in people if p["present"] is True),
        "scheduled_count": sum(1 for p in people if p["scheduled"] != "location_flexibility"),
        "no_presence_record": [p["nip"] for p in people if p["presence"] is None],
        "arrived_after_lapse": after,
        "late_arrivals": [a for a in after if not a["time_flexibility"]],
    }


def arrivals_text(after: Iterable[Mapping[str, object]]) -> str:
    """`Name (NIP) at 10:41 (late arrival)`, joined; time-flexible arrivals say so."""
    parts = []
    for a in after:
        why = "on time flexibility" if a["time_flexibility"] else "late arrival"
        parts.append(f"{a['name']} ({a['nip']}) at {a['in']} ({why})")
    return "; ".join(parts)
