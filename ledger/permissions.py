"""Which bearer may append which events: the 403 rules of DESIGN §7."""

from __future__ import annotations

from domain.event_data import OPERATOR_EVENTS
from domain.events import Event
from ledger.errors import NotPermittedError
from ledger.tokens import Principal

OMBUDSMAN_EVENTS = frozenset(
    {
        "complaint.filed",
        "complaint.clarification_requested",
        "complaint.finding_recorded",
        "complaint.corrective_action_set",
        "complaint.closed",
        "entry.annotated",
    }
)


def check_may_write(principal: Principal, event: Event) -> None:
    """Raise NotPermittedError unless `principal` may append `event`."""
    if event.type in OPERATOR_EVENTS:
        raise NotPermittedError(f"{event.type} events are appended by the operator endpoints only")
    if principal.role == "agency":
        if event.agency != principal.org:
            raise NotPermittedError(
                f"this token writes for {principal.org!r}, not for {event.agency!r}"
            )
        if event.type in OMBUDSMAN_EVENTS and event.type != "entry.annotated":
            raise NotPermittedError(f"{event.type} events are written by the Ombudsman")
        return
    if principal.role == "ombudsman":
        if event.type not in OMBUDSMAN_EVENTS:
            raise NotPermittedError(f"an Ombudsman token may not write {event.type} events")
        return
    raise NotPermittedError(f"a {principal.role} token may not append entries")
