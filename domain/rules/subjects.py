"""Refusal rules about organisations and subjects: registered, new, owned by the agency."""

from __future__ import annotations

from domain.aggregates import Org
from domain.errors import ImpossibleTransition, SubjectOfOtherAgency, UnknownOrganisation

KIND_OF_FAMILY = {
    "org": "org",
    "key": "key",
    "policy": "policy",
    "unit": "unit",
    "employee": "employee",
    "wfa": "request",
    "attendance": "request",
    "work": "request",
    "evaluation": "evaluation",
    "complaint": "complaint",
}


def kind_of(event_type: str) -> str:
    """The subject kind an event type belongs to ('other' for annotations)."""
    return KIND_OF_FAMILY.get(event_type.split(".", 1)[0], "other")


def check_org_registered(org_id: str, org: Org | None) -> Org:
    """The organisation exists."""
    if org is None:
        raise UnknownOrganisation(f"organisation {org_id!r} is not registered")
    return org


def check_org_new(org_id: str, org: Org | None) -> None:
    """org.registered names an organisation not registered yet."""
    if org is not None:
        raise ImpossibleTransition(f"organisation {org_id!r} is already registered")


def check_subject_owner(subject: str, owner: str | None, agency: str) -> None:
    """An existing subject belongs to the event's agency."""
    if owner is not None and owner != agency:
        raise SubjectOfOtherAgency(f"subject {subject!r} belongs to {owner!r}, not {agency!r}")


def check_subject_kind(subject: str, existing: str | None, event_type: str) -> None:
    """An existing subject is of the kind the event type works on (annotations fit any)."""
    wanted = kind_of(event_type)
    if existing is not None and wanted != "other" and existing != wanted:
        raise ImpossibleTransition(
            f"subject {subject!r} is a {existing}, {event_type} needs a {wanted}"
        )
