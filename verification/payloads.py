"""Read a signed payload as a catalogue event without raising: what cannot be read is a failure."""

from __future__ import annotations

from domain.errors import DomainError, PayloadInvalid
from domain.events import Event, parse_payload
from verification.errors import unexpected
from verification.failures import FailedCheckError, PayloadUnreadableError
from verification.nesting import MAX_NESTING, too_deep


def parse_event(index: int, payload: bytes, failures: list[FailedCheckError]) -> Event | None:
    """The payload as a catalogue event, or None with a PayloadUnreadableError."""
    try:
        return read_payload(payload)
    except DomainError as error:
        failures.append(PayloadUnreadableError(index, str(error)))
        return None
    except Exception as error:  # signed data the domain cannot read: a verdict
        failures.append(PayloadUnreadableError(index, unexpected(error)))
        return None


def read_payload(payload: bytes) -> Event:
    """`parse_payload`, with the nesting bounded first (a deep payload exhausts the parser)."""
    if too_deep(payload):
        raise PayloadInvalid(f"payload JSON nested deeper than {MAX_NESTING} levels")
    return parse_payload(payload)
