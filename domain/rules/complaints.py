"""Refusal rules for the complaint lifecycle: filed → clarified → found → corrected → closed."""

from __future__ import annotations

from collections.abc import Iterable

from domain.aggregates import Complaint
from domain.errors import ImpossibleTransition


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
