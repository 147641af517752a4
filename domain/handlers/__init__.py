"""The event-type → handler table: each handler checks its rules and fills a Changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from domain.entry import Entry
from domain.handlers import complaints, presence, registry, requests
from domain.reader import Changes, StateReader

Handler = Callable[[StateReader, Entry, Changes], None]

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "org.registered": registry.org_registered,
        "key.registered": registry.key_registered,
        "key.revoked": registry.key_revoked,
        "policy.enacted": registry.policy_enacted,
        "unit.registered": registry.unit_registered,
        "employee.enrolled": registry.employee_enrolled,
        "employee.updated": registry.employee_updated,
        "evaluation.recorded": registry.evaluation_recorded,
        "entry.annotated": registry.entry_annotated,
        "wfa.requested": requests.wfa_requested,
        "wfa.approved": requests.wfa_approved,
        "wfa.rejected": requests.wfa_rejected,
        "wfa.revision_requested": requests.wfa_revision_requested,
        "wfa.withdrawn": requests.wfa_withdrawn,
        "wfa.revoked": requests.wfa_revoked,
        "attendance.recorded": requests.attendance_recorded,
        "presence.recorded": presence.presence_recorded,
        "work.output_reported": requests.output_reported,
        "work.output_reviewed": requests.output_reviewed,
        "complaint.filed": complaints.complaint_filed,
        "complaint.clarification_requested": complaints.clarification_requested,
        "complaint.evidence_submitted": complaints.evidence_submitted,
        "complaint.finding_recorded": complaints.finding_recorded,
        "complaint.corrective_action_set": complaints.corrective_action_set,
        "complaint.closed": complaints.complaint_closed,
    }
)
