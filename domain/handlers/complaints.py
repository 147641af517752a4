"""Handlers for the Ombudsman complaint lifecycle."""

from __future__ import annotations

from dataclasses import replace

from domain.aggregates import Complaint, ComplaintStep
from domain.entry import Entry
from domain.event_data import (
    ComplaintClosed,
    ComplaintFiled,
    ComplaintText,
    CorrectiveActionSet,
    FindingRecorded,
)
from domain.reader import Changes, StateReader
from domain.rules.complaints import (
    check_complaint_new,
    check_complaint_open,
    check_entries_exist,
    check_finding_recorded,
    flag_closed_early,
    flag_finding_unheard,
)
from domain.rules.people import check_unit_of_agency

STAGES = ("filed", "clarification", "evidence", "finding", "corrective_action", "closed")


def _step(entry: Entry, text: str | None, evidence: str | None = None) -> ComplaintStep:
    event = entry.event
    return ComplaintStep(entry.index, event.type, event.actor, event.occurred_at, text, evidence)


def _advance(current: str, stage: str) -> str:
    return stage if STAGES.index(stage) > STAGES.index(current) else current


def complaint_filed(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = ComplaintFiled.model_validate(event.data)
    check_complaint_new(event.subject, reader.complaint(event.subject))
    check_unit_of_agency(data.unit, reader.unit(data.unit), event.agency)
    changes.value = changes.complaints[event.subject] = Complaint(
        id=event.subject,
        agency=event.agency,
        unit=data.unit,
        service=data.service,
        lapse_at=data.lapse_at,
        form=data.form,
        summary=data.summary,
        status="filed",
        filed_entry=entry.index,
        history=(_step(entry, data.summary),),
    )


def _text_step(reader: StateReader, entry: Entry, changes: Changes, stage: str) -> None:
    event = entry.event
    data = ComplaintText.model_validate(event.data)
    complaint = check_complaint_open(event.subject, reader.complaint(event.subject))
    changes.value = changes.complaints[event.subject] = replace(
        complaint,
        status=_advance(complaint.status, stage),
        history=(*complaint.history, _step(entry, data.text, data.evidence_sha256)),
    )


def clarification_requested(reader: StateReader, entry: Entry, changes: Changes) -> None:
    _text_step(reader, entry, changes, "clarification")


def evidence_submitted(reader: StateReader, entry: Entry, changes: Changes) -> None:
    _text_step(reader, entry, changes, "evidence")


def finding_recorded(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = FindingRecorded.model_validate(event.data)
    complaint = check_complaint_open(event.subject, reader.complaint(event.subject))
    check_entries_exist(data.entries, entry.index)
    changes.flag(flag_finding_unheard(entry.index, complaint), None)
    changes.value = changes.complaints[event.subject] = replace(
        complaint,
        status=_advance(complaint.status, "finding"),
        substantiated=data.substantiated,
        findings=data.findings,
        finding_entries=tuple(data.entries),
        history=(*complaint.history, _step(entry, data.findings)),
    )


def corrective_action_set(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = CorrectiveActionSet.model_validate(event.data)
    complaint = check_complaint_open(event.subject, reader.complaint(event.subject))
    check_finding_recorded(complaint)
    changes.value = changes.complaints[event.subject] = replace(
        complaint,
        status=_advance(complaint.status, "corrective_action"),
        action=data.action,
        due=data.due,
        history=(*complaint.history, _step(entry, data.action)),
    )


def complaint_closed(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = ComplaintClosed.model_validate(event.data)
    complaint = check_complaint_open(event.subject, reader.complaint(event.subject))
    changes.flag(flag_closed_early(entry.index, complaint, event.occurred_at.date()), None)
    changes.value = changes.complaints[event.subject] = replace(
        complaint,
        status="closed",
        outcome=data.outcome,
        history=(*complaint.history, _step(entry, data.outcome)),
    )
