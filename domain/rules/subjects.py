"""Refusal rules about organisations and subjects: registered, new, owned by the agency."""

from __future__ import annotations

from collections.abc import Callable

from domain.aggregates import Org
from domain.errors import (
    ImpossibleTransition,
    SubjectInOtherNamespace,
    SubjectOfOtherAgency,
    UnknownOrganisation,
)
from domain.events import OPERATOR

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
    "presence": "presence",
    "complaint": "complaint",
}


def kind_of(event_type: str) -> str:
    """The subject kind an event type belongs to ('other' for annotations)."""
    if event_type == "entry.redacted":
        return "redaction"
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


REGISTRY_PREFIXES = ("key:", "redaction:")


def check_subject_namespace(log: str, subject: str, org_of: Callable[[str], Org | None]) -> None:
    """An agency's subject is neither the registry's (`key:…`, `redaction:…`, an organisation's
    id), nor the operator's, nor another organisation's (`policy:<other>`, `<other>/…`)."""
    if subject.startswith(REGISTRY_PREFIXES) or subject == log:
        raise SubjectInOtherNamespace(f"subject {subject!r} is in the registry's namespace")
    if subject.startswith("policy:") and subject != f"policy:{log}":
        raise SubjectInOtherNamespace(f"subject {subject!r} is another organisation's policy")
    head = subject.split("/", 1)[0]
    if head == OPERATOR:
        raise SubjectInOtherNamespace(f"subject {subject!r} is in the operator's namespace")
    if head != log and org_of(head) is not None:
        raise SubjectInOtherNamespace(f"subject {subject!r} is in {head!r}'s namespace")


def check_subject_kind(subject: str, existing: str | None, event_type: str) -> None:
    """An existing subject is of the kind the event type works on (annotations fit any)."""
    wanted = kind_of(event_type)
    if existing is not None and wanted != "other" and existing != wanted:
        raise ImpossibleTransition(
            f"subject {subject!r} is a {existing}, {event_type} needs a {wanted}"
        )
