"""Replay the domain rules over a bundle's verified entries to rebuild states and flags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from domain.entry import Entry
from domain.errors import DomainError, Refusal
from domain.events import Event
from domain.flags import Flag
from domain.state import LedgerState, SubjectView
from verification.errors import unexpected
from verification.failures import FailedCheckError, ReplayRefusedError
from verification.payloads import parse_event

if TYPE_CHECKING:
    from verification.verifier import Checked


@dataclass
class Replay:
    """The rebuilt state, the flags each entry raised and what could not be replayed."""

    state: LedgerState
    as_of: datetime | None
    subjects: tuple[str, ...]
    flags: dict[int, tuple[Flag, ...]] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)
    failures: list[FailedCheckError] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)

    def view(self, subject: str) -> SubjectView | None:
        """The subject's state and flags as of the replay's `as_of`."""
        return self.state.subject_view(subject, self.as_of)


def replay_entries(
    entries: Iterable[Checked], subjects: Sequence[str], as_of: datetime | None
) -> Replay:
    """Record every verified, readable entry in index order into a gap-tolerant LedgerState.

    Entries that failed a check are not replayed. A redacted entry cannot be replayed; later
    refusals on its subject are reported as skipped (what the redaction hides), not as failures.
    """
    state = LedgerState(allow_gaps=True)
    listed = tuple(subjects) or tuple(dict.fromkeys(c.entry.leaf.subject for c in entries))
    replay = Replay(state, as_of, listed)
    hidden: set[str] = set()
    for checked in entries:
        subject, index = checked.entry.leaf.subject, checked.entry.index
        payload = checked.entry.payload
        if payload is None or checked.failed:
            replay.skipped[index] = "redacted" if payload is None else "failed"
            hidden.add(subject)
            continue
        event = checked.event or _parse(index, payload, replay)
        if event is None:
            hidden.add(subject)
            continue
        replay.events[index] = event
        entry = Entry(index, event, checked.keyids, checked.integrated_at)
        try:
            replay.flags[index] = state.record(entry).flags
        except Refusal as refusal:
            if subject in hidden:
                replay.skipped[index] = f"not replayable after a redacted entry: {refusal}"
                continue
            hidden.add(subject)
            replay.failures.append(ReplayRefusedError(index, refusal.rule, str(refusal)))
        except DomainError as error:
            replay.failures.append(ReplayRefusedError(index, "out-of-order", str(error)))
        except Exception as error:  # a signed entry the rules cannot fold
            hidden.add(subject)
            replay.failures.append(ReplayRefusedError(index, "replay-error", unexpected(error)))
    return replay


def _parse(index: int, payload: bytes, replay: Replay) -> Event | None:
    failures: list[FailedCheckError] = []
    event = parse_event(index, payload, failures)
    if event is None:
        replay.failures.extend(failures)
        replay.skipped[index] = "unreadable"
    return event
