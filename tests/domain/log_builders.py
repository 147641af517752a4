"""Builders for the per-log fold: a registry log and one agency log, each with its own indexes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.entry import Entry, Recorded
from domain.events import parse_payload
from domain.registry import RegistryState
from domain.state import LedgerState
from domain.store import Loader
from tests.domain.builders import (
    AGENCY,
    HEAD,
    INSPECTORATE,
    OMBUDSMAN,
    OTHER,
    SERVICE_UNIT,
    STAFF,
    STAFF2,
    STAFF3,
    T0,
    UNIT,
    WIB,
    World,
    employee_data,
    key_data,
    keyid,
    payload,
    policy_data,
)


@dataclass
class Logs:
    """The registry log and agency `AGENCY`'s log, on one clock moving a minute per entry."""

    registry: RegistryState = field(default_factory=RegistryState)
    loader: Loader | None = None
    now: datetime = T0
    agency: LedgerState = field(init=False)
    registry_entries: list[Entry] = field(default_factory=list)
    agency_entries: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.agency = LedgerState(AGENCY, self.registry, loader=self.loader)

    def _tick(self, at: datetime | None) -> datetime:
        self.now = at or self.now + timedelta(minutes=1)
        return self.now

    def operator(self, type: str, subject: str, data: dict[str, object]) -> Recorded:
        at = self._tick(None)
        body = payload(
            type,
            subject,
            data,
            agency="operator",
            actor="operator",
            occurred_at=at.astimezone(WIB).isoformat(),
        )
        entry = Entry(self.registry.size, parse_payload(body), (keyid("operator"),), at)
        recorded = self.registry.record(entry)
        self.registry_entries.append(entry)
        return recorded

    def entry(
        self,
        type: str,
        subject: str,
        data: dict[str, object],
        *,
        actor: str = HEAD,
        keys: tuple[str, ...] | None = None,
        registry_size: int | None = None,
        agency: str = AGENCY,
        at: datetime | None = None,
    ) -> Entry:
        """The agency log's next entry, not recorded."""
        when = at or self.now + timedelta(minutes=1)
        body = payload(
            type,
            subject,
            data,
            agency=agency,
            actor=actor,
            occurred_at=when.astimezone(WIB).isoformat(),
        )
        keys = keys if keys is not None else (World.default_key(type, agency),)
        size = self.registry.size if registry_size is None else registry_size
        return Entry(self.agency.size, parse_payload(body), keys, when, size)

    def add(self, type: str, subject: str, data: dict[str, object], **kw: object) -> Recorded:
        entry = self.entry(type, subject, data, **kw)  # type: ignore[arg-type]
        recorded = self.agency.record(entry)
        self._tick(entry.integrated_at)
        self.agency_entries.append(entry)
        return recorded

    def genesis(self) -> Logs:
        self.operator(
            "key.registered", f"key:{keyid('operator')}", key_data("operator", "operator")
        )
        return self

    def org(self, org: str, kind: str = "agency") -> Logs:
        self.operator("org.registered", org, {"kind": kind, "name": org.upper()})
        self.operator("key.registered", f"key:{keyid(org)}", key_data(org, org))
        return self


def logs(loader: Loader | None = None) -> Logs:
    """The registry with two agencies and two oversight bodies; AGENCY's policy, units, staff."""
    w = Logs(loader=loader).genesis().org(AGENCY).org(OTHER)
    w.org(OMBUDSMAN, "ombudsman").org(INSPECTORATE, "inspectorate")
    w.add("policy.enacted", f"policy:{AGENCY}", policy_data())
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
