"""One pydantic model per event type's `data`, as catalogued in DESIGN §3."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from domain.fields import (
    HHMM,
    MAX_OUTPUTS,
    MAX_REQUEST_DATES,
    MAX_TARGETS,
    Count,
    Data,
    Hours,
    Id,
    Instant,
    IsoDate,
    Label,
    Nip,
    PublicKey,
    Sha256Hex,
    Slug,
    Text,
)

Discipline = Literal["none", "proceedings", "penalty"]
LocationKind = Literal["domicile", "other_office", "designated"]
Rating = Literal["di_atas", "sesuai", "di_bawah"]
Predikat = Literal["sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang"]
Maladministration = Literal[
    "penundaan_berlarut",
    "tidak_memberikan_pelayanan",
    "tidak_kompeten",
    "penyimpangan_prosedur",
    "penyalahgunaan_wewenang",
    "permintaan_imbalan",
    "tidak_patut",
    "berpihak",
    "diskriminasi",
    "konflik_kepentingan",
]


class OrgRegistered(Data):
    kind: Literal["agency", "ombudsman", "inspectorate"]
    name: Text


class KeyRegistered(Data):
    org: Slug
    public_key: PublicKey
    holder: Nip | None
    valid_from: Instant


class KeyRevokedData(Data):
    effective_at: Instant
    reason: Text


class Ramadan(Data):
    """The Ramadan dates of a policy year and the weekly hours that hold in them."""

    from_: IsoDate = Field(alias="from")
    to: IsoDate
    weekly_hours: float = Field(default=32.5, ge=0, le=168)

    @model_validator(mode="after")
    def _ordered(self) -> Ramadan:
        if self.to < self.from_:
            raise ValueError("ramadan.to is before ramadan.from")
        return self


class DesignatedLocation(Data):
    """A work location the agency designates for location flexibility."""

    id: Id
    description: Text


class PolicyEnacted(Data):
    version: int | Label
    effective_from: IsoDate
    max_location_days_per_week: Count = 2
    unit_quota_pct: int = Field(default=30, ge=0, le=100)
    probation_days: Count
    core_hours: Hours
    eligible_positions: list[Label] | None = None
    decision_window_days: Count
    output_report_deadline_days: Count
    backdating_limit_hours: Count
    strict: list[Id] = Field(default_factory=list)
    weekly_hours: float = Field(default=37.5, ge=0, le=168)
    ramadan: Ramadan | None = None
    evaluation_cadence: Literal["monthly", "quarterly", "semester"] | None = None
    evaluation_deadline_days: Count = 10
    designated_locations: list[DesignatedLocation] = Field(default_factory=list)
    future_tolerance_minutes: Count = 5
    approvers: list[Nip] = Field(default_factory=list)  # named to decide besides supervisors


class UnitRegistered(Data):
    name: Text
    public_service: bool
    service_hours: Hours
    min_on_site: Count


class EmployeeEnrolled(Data):
    name: Text
    unit: Id
    position: Label
    supervisor: Nip | None
    placed_at: IsoDate
    discipline: Discipline


class EmployeeUpdated(Data):
    name: Text | None = None
    unit: Id | None = None
    position: Label | None = None
    supervisor: Nip | None = None
    placed_at: IsoDate | None = None
    discipline: Discipline | None = None

    @model_validator(mode="after")
    def _some_field(self) -> EmployeeUpdated:
        given = self.model_fields_set & set(EMPLOYEE_FIELDS)
        if not given:
            raise ValueError(f"an update names at least one of {', '.join(EMPLOYEE_FIELDS)}")
        for name in given - {"supervisor"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


EMPLOYEE_FIELDS = ("name", "unit", "position", "supervisor", "placed_at", "discipline")


class Location(Data):
    kind: LocationKind
    description: Text
    id: Id | None = None  # for `designated`: the policy's designated location id


class Target(Data):
    id: Id
    description: Text


class WfaRequested(Data):
    employee: Nip
    kind: Literal["location", "time"]
    dates: list[IsoDate] = Field(min_length=1, max_length=MAX_REQUEST_DATES)
    location: Location | None = None
    time_pattern: Literal["shift", "dynamic"] | None = None
    special: Literal["field_duty", "keadaan_khusus"] | None = None
    reason: Text
    targets: list[Target] = Field(default_factory=list, max_length=MAX_TARGETS)

    @model_validator(mode="after")
    def _kind_fields(self) -> WfaRequested:
        if len(set(self.dates)) != len(self.dates):
            raise ValueError("dates must not repeat")
        if self.kind == "location" and self.location is None:
            raise ValueError("a location request needs a location")
        if self.kind == "location" and not self.targets:
            raise ValueError("a location request needs a work plan with measurable targets")
        if self.kind == "time" and self.time_pattern is None:
            raise ValueError("a time request needs a time_pattern")
        return self


class WfaApproved(Data):
    dates: list[IsoDate] | None = Field(default=None, max_length=MAX_REQUEST_DATES)
    note: Text | None = None


class WfaReason(Data):
    reason: Text


class WfaRevoked(Data):
    effective_from: IsoDate
    reason: Text


class AttendanceRecorded(Data):
    date: IsoDate
    start: HHMM
    end: HHMM
    location_kind: LocationKind | Literal["office"]


class PresenceRecorded(Data):
    """One employee's day at the agency's attendance system: arrived `in`, left `out`."""

    date: IsoDate
    in_: HHMM = Field(alias="in")
    out: HHMM | None
    location_kind: Literal["office", "other_office", "domicile", "designated"]
    source: Text

    @model_validator(mode="after")
    def _ordered(self) -> PresenceRecorded:
        if self.out is not None and self.out < self.in_:
            raise ValueError("out is before in")
        return self


class Output(Data):
    title: Text
    target: Text
    evidence_sha256: Sha256Hex | None = None


class OutputReported(Data):
    date: IsoDate
    outputs: list[Output] = Field(min_length=1, max_length=MAX_OUTPUTS)


class OutputReviewed(Data):
    date: IsoDate
    verdict: Literal["accepted", "needs_revision"]
    note: Text | None = None


class EvaluationRecorded(Data):
    employee: Nip
    period: Id
    results: Rating
    behaviour: Rating
    predikat: Predikat


class ComplaintFiled(Data):
    unit: Id
    service: Text
    lapse_at: Instant
    form: Maladministration
    summary: Text


class ComplaintText(Data):
    text: Text
    evidence_sha256: Sha256Hex | None = None


class FindingRecorded(Data):
    substantiated: bool
    findings: Text
    entries: list[int] = Field(default_factory=list)


class CorrectiveActionSet(Data):
    action: Text
    due: IsoDate


class ComplaintClosed(Data):
    outcome: Text


class EntryRedacted(Data):
    log: Slug
    index: int = Field(ge=0)
    basis: Text
    reason: Text


class EntryAnnotated(Data):
    entry: int = Field(ge=0)
    note: Text


EVENT_TYPES: Mapping[str, type[BaseModel]] = MappingProxyType(
    {
        "org.registered": OrgRegistered,
        "key.registered": KeyRegistered,
        "key.revoked": KeyRevokedData,
        "policy.enacted": PolicyEnacted,
        "unit.registered": UnitRegistered,
        "employee.enrolled": EmployeeEnrolled,
        "employee.updated": EmployeeUpdated,
        "wfa.requested": WfaRequested,
        "wfa.approved": WfaApproved,
        "wfa.rejected": WfaReason,
        "wfa.revision_requested": WfaReason,
        "wfa.withdrawn": WfaReason,
        "wfa.revoked": WfaRevoked,
        "attendance.recorded": AttendanceRecorded,
        "presence.recorded": PresenceRecorded,
        "work.output_reported": OutputReported,
        "work.output_reviewed": OutputReviewed,
        "evaluation.recorded": EvaluationRecorded,
        "complaint.filed": ComplaintFiled,
        "complaint.clarification_requested": ComplaintText,
        "complaint.evidence_submitted": ComplaintText,
        "complaint.finding_recorded": FindingRecorded,
        "complaint.corrective_action_set": CorrectiveActionSet,
        "complaint.closed": ComplaintClosed,
        "entry.annotated": EntryAnnotated,
        "entry.redacted": EntryRedacted,
    }
)

OPERATOR_EVENTS = frozenset({"org.registered", "key.registered", "key.revoked", "entry.redacted"})
