"""Handlers for operator, organisation-level and evaluation events: checks, then new values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from domain.aggregates import (
    Annotation,
    Employee,
    EmployeeUpdate,
    Evaluation,
    Key,
    Org,
    Placement,
    Policy,
    PolicyVersion,
    Unit,
)
from domain.entry import Entry
from domain.errors import ImpossibleTransition
from domain.event_data import (
    EMPLOYEE_FIELDS,
    EmployeeEnrolled,
    EmployeeUpdated,
    EntryAnnotated,
    EvaluationRecorded,
    KeyRegistered,
    KeyRevokedData,
    OrgRegistered,
    PolicyEnacted,
    UnitRegistered,
)
from domain.events import OPERATOR, public_key_bytes
from domain.reader import Changes, StateReader, requests_dated_from
from domain.rules.approval import flag_evaluator_not_assessor
from domain.rules.cadence import covered_periods
from domain.rules.complaints import check_entries_exist
from domain.rules.discipline import flag_arrangement_after_penalty
from domain.rules.evaluations import flag_predikat_inconsistent
from domain.rules.people import (
    check_employee_known,
    check_employee_new,
    check_unit_new,
    check_unit_of_agency,
)
from domain.rules.policy import check_policy_version_new
from domain.rules.requests import check_actor_enrolled
from domain.rules.subjects import check_org_new, check_org_registered


def org_registered(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = OrgRegistered.model_validate(event.data)
    check_org_new(event.subject, reader.org(event.subject))
    changes.value = changes.orgs[event.subject] = Org(event.subject, data.kind, data.name)


def key_registered(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = KeyRegistered.model_validate(event.data)
    keyid = event.subject.removeprefix("key:")
    if entry.index == 0:
        changes.orgs[OPERATOR] = Org(OPERATOR, OPERATOR, OPERATOR)
    else:
        check_org_registered(data.org, reader.org(data.org))
    if reader.key(keyid) is not None:
        raise ImpossibleTransition(f"key {keyid} is already registered")
    key = Key(keyid, data.org, public_key_bytes(data), data.holder, data.valid_from)
    changes.value = changes.keys[keyid] = key


def key_revoked(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = KeyRevokedData.model_validate(event.data)
    keyid = event.subject.removeprefix("key:")
    key = reader.key(keyid)
    if key is None:
        raise ImpossibleTransition(f"key {keyid} is not registered")
    if key.revoked_at is not None:
        raise ImpossibleTransition(f"key {keyid} is already revoked")
    revoked = replace(key, revoked_at=data.effective_at, revoke_reason=data.reason)
    changes.value = changes.keys[keyid] = revoked


def policy_enacted(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = PolicyEnacted.model_validate(event.data)
    current = reader.policy(event.agency)
    check_policy_version_new(current, data.version)
    positions = data.eligible_positions
    version = PolicyVersion(
        version=data.version,
        effective_from=data.effective_from,
        max_location_days_per_week=data.max_location_days_per_week,
        unit_quota_pct=data.unit_quota_pct,
        probation_days=data.probation_days,
        core_hours=(data.core_hours.start, data.core_hours.end),
        eligible_positions=None if positions is None else frozenset(positions),
        decision_window_days=data.decision_window_days,
        output_report_deadline_days=data.output_report_deadline_days,
        backdating_limit_hours=data.backdating_limit_hours,
        strict=frozenset(data.strict),
        entry=entry.index,
        weekly_hours=data.weekly_hours,
        ramadan=None
        if data.ramadan is None
        else (data.ramadan.from_, data.ramadan.to, data.ramadan.weekly_hours),
        evaluation_cadence=data.evaluation_cadence,
        evaluation_deadline_days=data.evaluation_deadline_days,
        designated_locations=frozenset(
            name for place in data.designated_locations for name in (place.id, place.description)
        ),
        future_tolerance_minutes=data.future_tolerance_minutes,
        approvers=frozenset(data.approvers),
    )
    versions = (*current.versions, version) if current is not None else (version,)
    ordered = tuple(sorted(versions, key=lambda v: (v.effective_from, v.entry)))
    changes.value = changes.policies[event.agency] = Policy(event.agency, ordered)


def unit_registered(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = UnitRegistered.model_validate(event.data)
    check_unit_new(event.subject, reader.unit(event.subject))
    hours = (data.service_hours.start, data.service_hours.end)
    unit = Unit(
        event.subject, event.agency, data.name, data.public_service, hours, data.min_on_site
    )
    changes.value = changes.units[event.subject] = unit


def _placement(entry: Entry, unit: str, placed_at: date | None) -> Placement:
    at = entry.integrated_at
    on = placed_at or at.astimezone(entry.event.occurred_at.tzinfo).date()
    return Placement(entry.index, unit, at, on)


def employee_enrolled(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = EmployeeEnrolled.model_validate(event.data)
    check_employee_new(event.subject, reader.employee(event.subject))
    check_unit_of_agency(data.unit, reader.unit(data.unit), event.agency)
    employee = Employee(
        placements=(_placement(entry, data.unit, data.placed_at),),
        nip=event.subject,
        agency=event.agency,
        name=data.name,
        unit=data.unit,
        position=data.position,
        supervisor=data.supervisor,
        placed_at=data.placed_at,
        discipline=data.discipline,
    )
    changes.value = changes.employees[event.subject] = employee
    changes.place(reader, event.subject, data.unit)


def employee_updated(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = EmployeeUpdated.model_validate(event.data)
    current = check_employee_known(event.subject, reader.employee(event.subject), event.agency)
    given = tuple(name for name in EMPLOYEE_FIELDS if name in data.model_fields_set)
    placements = current.placements
    if data.unit is not None and data.unit != current.unit:
        check_unit_of_agency(data.unit, reader.unit(data.unit), event.agency)
        changes.unit_staff[current.unit] = changes.staff(reader, current.unit) - {current.nip}
        changes.place(reader, current.nip, data.unit)
        placements = (*placements, _placement(entry, data.unit, data.placed_at))
    updated = replace(
        current,
        name=data.name or current.name,
        unit=data.unit or current.unit,
        position=data.position or current.position,
        supervisor=data.supervisor if "supervisor" in given else current.supervisor,
        placed_at=data.placed_at or current.placed_at,
        discipline=data.discipline or current.discipline,
        updates=(*current.updates, EmployeeUpdate(entry.index, given)),
        placements=placements,
    )
    changes.value = changes.employees[event.subject] = updated
    if updated.discipline == "penalty" and current.discipline != "penalty":
        _flag_penalised(reader, entry, changes, updated)


def _flag_penalised(
    reader: StateReader, entry: Entry, changes: Changes, employee: Employee
) -> None:
    """A penalty recorded while the employee holds approved flexible days from then on."""
    on = entry.event.occurred_at.date()
    policy = reader.policy(employee.agency)
    version = None if policy is None else policy.in_force(on)
    for rid in sorted(requests_dated_from(reader, employee.nip, on)):
        request = reader.request(rid)
        if request is not None:
            flag = flag_arrangement_after_penalty(entry.index, employee.nip, request, on)
            changes.flag(flag, version)


def evaluation_recorded(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = EvaluationRecorded.model_validate(event.data)
    check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    employee = check_employee_known(data.employee, reader.employee(data.employee), event.agency)
    policy = reader.policy(event.agency)
    in_force = policy.in_force(event.occurred_at.date()) if policy is not None else None
    changes.flag(flag_evaluator_not_assessor(entry.index, employee, event.actor), in_force)
    evaluation = changes.value = changes.evaluations[event.subject] = Evaluation(
        subject=event.subject,
        agency=event.agency,
        employee=data.employee,
        period=data.period,
        results=data.results,
        behaviour=data.behaviour,
        predikat=data.predikat,
        evaluator=event.actor,
        entry=entry.index,
    )
    changes.flag(flag_predikat_inconsistent(entry.index, evaluation), in_force)
    held = changes.evaluated.get(data.employee, reader.evaluated_periods(data.employee))
    changes.evaluated[data.employee] = held | covered_periods(data.period)


def entry_annotated(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = EntryAnnotated.model_validate(event.data)
    check_entries_exist((data.entry,), entry.index)
    changes.annotation = Annotation(entry.index, data.entry, data.note, event.actor)
