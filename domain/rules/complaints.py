"""Refusal rules for the complaint lifecycle: filed → clarified → found → corrected → closed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.aggregates import Complaint
from domain.errors import ImpossibleTransition
from domain.flags import Flag

_HEARD = frozenset({"complaint.clarification_requested", "complaint.evidence_submitted"})


def check_complaint_new(subject: str, complaint: Complaint | None) -> None:
    """A complaint is filed once."""
    if complaint is not None:
        raise ImpossibleTransition(f"complaint {subject!r} is already filed")


def check_complaint_open(subject: str, complaint: Complaint | None) -> Complaint:
    """The complaint exists and is not closed."""
    if complaint is None:
        raise ImpossibleTransition(f"complaint {subject!r} does not exist")
    if complaint.status == "closed":
        raise ImpossibleTransition(f"complaint {subject!r} is closed")
    return complaint


def check_finding_recorded(complaint: Complaint) -> None:
    """Corrective action follows a finding."""
    if complaint.substantiated is None:
        raise ImpossibleTransition(f"complaint {complaint.id!r} has no finding yet")


def check_entries_exist(entries: Iterable[int], size: int) -> None:
    """Cited ledger indexes precede the citing entry."""
    for index in entries:
        if not 0 <= index < size:
            raise ImpossibleTransition(f"entry {index} does not exist in the log")


def flag_finding_unheard(entry: int, complaint: Complaint) -> Flag | None:
    """A finding (LAHP) before any clarification was asked or evidence submitted
    (Peraturan Ombudsman 58/2023: the reported party is heard before the finding)."""
    if any(step.type in _HEARD for step in complaint.history):
        return None
    return Flag(
        "complaint-out-of-sequence",
        entry,
        f"finding on {complaint.id} before any clarification or evidence",
    )


def flag_closed_early(entry: int, complaint: Complaint, closed_on: date) -> Flag | None:
    """Closure before the corrective action's due date (its outcome cannot be known yet)."""
    if complaint.due is None or closed_on >= complaint.due:
        return None
    return Flag(
        "complaint-out-of-sequence",
        entry,
        f"{complaint.id} closed on {closed_on.isoformat()}, before its corrective action is "
        f"due ({complaint.due.isoformat()})",
    )
