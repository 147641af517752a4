"""Builders that turn payload dicts into Entries and a small, fully set-up ledger world."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from domain.entry import Entry
from domain.events import parse_payload
from domain.flags import Flag
from domain.state import LedgerState

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 WIB, Tuesday of ISO week 49
AGENCY = "kab-a"
OTHER = "kab-b"
OMBUDSMAN = "ombudsman-ri"
INSPECTORATE = "bpkp"

HEAD = "196501011990031001"  # unit head, supervises the staff
STAFF = "198001012005011001"
STAFF2 = "198101012005011002"
STAFF3 = "198201012005011003"
CLERK = "199001012015011004"  # in the public-service unit
UNIT = "kab-a-umum"
SERVICE_UNIT = "kab-a-layanan"


def raw_key(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def keyid(name: str) -> str:
    return hashlib.sha256(raw_key(name)).hexdigest()


def payload(
    type: str,
    subject: str,
    data: dict[str, object],
    *,
    agency: str = AGENCY,
    actor: str = HEAD,
    occurred_at: str = "2026-12-01T08:00:00+07:00",
) -> bytes:
    body = {
        "type": type,
        "agency": agency,
        "subject": subject,
        "actor": actor,
        "occurred_at": occurred_at,
        "data": data,
    }
    return json.dumps(body).encode()


def key_data(name: str, org: str, valid_from: str = "2026-01-01T00:00:00Z") -> dict[str, object]:
    return {
        "org": org,
        "public_key": base64.b64encode(raw_key(name)).decode(),
        "holder": None,
        "valid_from": valid_from,
    }


def policy_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "version": 1,
        "effective_from": "2026-01-01",
        "max_location_days_per_week": 2,
        "unit_quota_pct": 30,
        "probation_days": 90,
        "core_hours": {"start": "09:00", "end": "15:00"},
        "eligible_positions": None,
        "decision_window_days": 2,
        "output_report_deadline_days": 1,
        "backdating_limit_hours": 72,
        "strict": [],
    }
    data.update(overrides)
    return data


def employee_data(
    unit: str = UNIT, supervisor: str | None = HEAD, **extra: object
) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Pegawai",
        "unit": unit,
        "position": "analis",
        "supervisor": supervisor,
        "placed_at": "2020-01-01",
        "discipline": "none",
    }
    data.update(extra)
    return data


def request_data(
    employee: str = STAFF, dates: tuple[str, ...] = ("2026-12-07",), **extra: object
) -> dict[str, object]:
    data: dict[str, object] = {
        "employee": employee,
        "kind": "location",
        "dates": list(dates),
        "location": {"kind": "domicile", "description": "rumah"},
        "time_pattern": None,
        "special": None,
        "reason": "fokus menyusun laporan",
        "targets": [{"id": "t1", "description": "draf laporan"}],
    }
    data.update(extra)
    return data


@dataclass
class World:
    """A ledger state with a clock that moves a minute per entry, and default signing keys."""

    state: LedgerState = field(default_factory=LedgerState)
    now: datetime = T0
    entries: list[Entry] = field(default_factory=list)

    def entry(
        self,
        type: str,
        subject: str,
        data: dict[str, object],
        *,
        agency: str = AGENCY,
        actor: str = HEAD,
        occurred_at: str | None = None,
        keys: tuple[str, ...] | None = None,
        at: datetime | None = None,
    ) -> Entry:
        """An Entry for the next index, without recording it."""
        at = at or self.now + timedelta(minutes=1)
        occurred = occurred_at or at.astimezone(WIB).isoformat()
        body = payload(type, subject, data, agency=agency, actor=actor, occurred_at=occurred)
        if keys is None:
            keys = (self.default_key(type, agency),)
        return Entry(self.state.size, parse_payload(body), keys, at)

    def add(
        self, type: str, subject: str, data: dict[str, object], **kw: object
    ) -> tuple[Flag, ...]:
        """Build and record the next entry; returns its flags."""
        entry = self.entry(type, subject, data, **kw)  # type: ignore[arg-type]
        flags = self.state.record(entry).flags
        self.now = entry.integrated_at
        self.entries.append(entry)
        return flags

    @staticmethod
    def default_key(type: str, agency: str) -> str:
        if type in ("org.registered", "key.registered", "key.revoked"):
            return keyid("operator")
        if type.startswith("complaint.") and type != "complaint.evidence_submitted":
            return keyid(OMBUDSMAN)
        return keyid(agency)

    # -- ready-made steps ---------------------------------------------------------------

    def genesis(self) -> World:
        self.add(
            "key.registered",
            f"key:{keyid('operator')}",
            key_data("operator", "operator"),
            agency="operator",
        )
        return self

    def org(self, org: str, kind: str = "agency") -> World:
        self.add("org.registered", org, {"kind": kind, "name": org.upper()}, agency="operator")
        self.add("key.registered", f"key:{keyid(org)}", key_data(org, org), agency="operator")
        return self

    def request(
        self,
        subject: str = "req-1",
        employee: str = STAFF,
        dates: tuple[str, ...] = ("2026-12-07",),
        *,
        occurred_at: str | None = None,
        at: datetime | None = None,
        **extra: object,
    ) -> tuple[Flag, ...]:
        data = request_data(employee, dates, **extra)
        return self.add(
            "wfa.requested", subject, data, actor=employee, occurred_at=occurred_at, at=at
        )

    def approve(
        self,
        subject: str = "req-1",
        actor: str = HEAD,
        *,
        occurred_at: str | None = None,
        at: datetime | None = None,
        **data: object,
    ) -> tuple[Flag, ...]:
        return self.add(
            "wfa.approved", subject, dict(data), actor=actor, occurred_at=occurred_at, at=at
        )


def world(policy: dict[str, object] | None = None) -> World:
    """Operator, two agencies, an ombudsman and an inspectorate; kab-a with policy, units, staff."""
    w = (
        World()
        .genesis()
        .org(AGENCY)
        .org(OTHER)
        .org(OMBUDSMAN, "ombudsman")
        .org(INSPECTORATE, "inspectorate")
    )
    w.add("policy.enacted", f"policy:{AGENCY}", policy or policy_data())
    hours = {"start": "08:00", "end": "16:00"}
    w.add(
        "unit.registered",
        UNIT,
        {"name": "Umum", "public_service": False, "service_hours": hours, "min_on_site": 0},
    )
    w.add(
        "unit.registered",
        SERVICE_UNIT,
        {"name": "Layanan", "public_service": True, "service_hours": hours, "min_on_site": 2},
    )
    w.add("employee.enrolled", HEAD, employee_data(supervisor=None, position="kepala"))
    for nip in (STAFF, STAFF2, STAFF3):
        w.add("employee.enrolled", nip, employee_data())
    return w
