"""The benches' request workloads: a realistic agency of units of 30 staff, and the old heavy one.

Realistic (the default): an agency has `units` units of 30 staff under one head, who approves.
Request k of the agency is one staff member's location day: each unit sends at most 9 of its 30
staff (30 %, the policy's unit quota) away a day, a different 9 each day (so each member is away
about 3 days in 10), and the days run from a week ahead, one after the other, for 300 days before
they start again. A unit-day therefore holds at most 9 bookings and an employee a few a week, as in
an agency; what grows with the log is the number of days and requests, not any one set.

Heavy (`heavy=True`, the benches' former workload): two staff in one unit take turns, and the days
cycle over 300, so each unit-day piles up a booking per 300 requests: at 10^5 entries ~111 per
unit-day, 55 per employee per day (costs that grow with the day's bookings show there).

Each request is three events: asked, approved by the head, output reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tests.support import wfa_request

STAFF_PER_UNIT = 30
AWAY_PER_UNIT_DAY = 9  # 30 % of a unit: the policy's unit quota
DAYS = 300  # the days requests cycle over, from a week ahead

Event = tuple[str, str, str, dict[str, object]]  # (type, subject, actor, data)


def _employee(name: str, unit: str, supervisor: str | None) -> dict[str, object]:
    return {
        "name": name,
        "unit": unit,
        "position": "Analis Kependudukan",
        "supervisor": supervisor,
        "placed_at": "2020-01-01",
        "discipline": "none",
    }


def _unit(name: str) -> dict[str, object]:
    return {
        "name": name,
        "public_service": True,
        "service_hours": {"start": "08:00", "end": "15:00"},
        "min_on_site": 1,
    }


@dataclass(frozen=True)
class Staffing:
    """One agency's people and units, and its k-th request, in either workload."""

    agency: str
    number: int  # makes NIPs unique across the agencies of one run
    units: int = 20
    heavy: bool = False
    start: date = datetime.now(UTC).date() + timedelta(days=7)

    def nip(self, person: int) -> str:
        return f"1975{self.number:05d}{person:05d}1001"

    @property
    def head(self) -> str:
        return self.nip(0)

    def unit(self, u: int) -> str:
        return f"{self.agency}/loket" if self.heavy else f"{self.agency}/unit-{u:02d}"

    def member(self, u: int, s: int) -> str:
        return self.nip(1 + u * STAFF_PER_UNIT + s)

    def staff(self) -> list[tuple[str, str]]:
        """(unit, NIP) of every staff member, the head not included."""
        if self.heavy:
            return [(self.unit(0), self.nip(1)), (self.unit(0), self.nip(2))]
        return [
            (self.unit(u), self.member(u, s))
            for u in range(self.units)
            for s in range(STAFF_PER_UNIT)
        ]

    def organisation(self) -> list[Event]:
        """Its units, then its head, then its staff (the policy is the caller's)."""
        units = [self.unit(0)] if self.heavy else [self.unit(u) for u in range(self.units)]
        found: list[Event] = [("unit.registered", u, self.head, _unit(u)) for u in units]
        found.append(
            ("employee.enrolled", self.head, self.head, _employee("Kepala", units[0], None))
        )
        for n, (unit, nip) in enumerate(self.staff()):
            data = _employee(f"Pegawai {n}", unit, self.head)
            found.append(("employee.enrolled", nip, self.head, data))
        return found

    def _who_and_day(self, k: int) -> tuple[str, date]:
        if self.heavy:
            return self.nip(1 + k % 2), self.start + timedelta(days=k % DAYS)
        per_day = self.units * AWAY_PER_UNIT_DAY
        day, slot = divmod(k, per_day)
        u, r = slot % self.units, slot // self.units
        s = (day * AWAY_PER_UNIT_DAY + r) % STAFF_PER_UNIT  # 9 different members each day
        return self.member(u, s), self.start + timedelta(days=day % DAYS)

    def request(self, k: int) -> list[Event]:
        """The agency's k-th request: asked, approved by the head, output reported."""
        who, day = self._who_and_day(k)
        data = {**wfa_request(who), "dates": [day.isoformat()]}
        output: dict[str, object] = {
            "date": day.isoformat(),
            "outputs": [{"title": "laporan", "target": "t1", "evidence_sha256": None}],
        }
        rid = f"{self.agency}/bench-{k}"
        return [
            ("wfa.requested", rid, who, data),
            ("wfa.approved", rid, self.head, {"note": "ok"}),
            ("work.output_reported", rid, who, output),
        ]
