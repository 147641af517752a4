"""What verifying a bundle/2 established: per log, per entry, the failures and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.events import Event
from verification.failures import FailedCheckError
from verification.note import Checkpoint
from verification.records import Header
from verification.replay import Replays
from verification.tally import Tally

COMPLETE, PARTIAL, FAILED = "VERIFIED, COMPLETE", "VERIFIED, PARTIAL", "FAILED"
EXIT_COMPLETE, EXIT_FAILED, EXIT_UNUSABLE, EXIT_PARTIAL = 0, 1, 2, 3


@dataclass(frozen=True)
class Did:
    """Who did what, as an entry's event says: all the report needs of it, and much smaller
    than the event (the verifier keeps one per entry, not the payloads)."""

    type: str
    agency: str
    actor: str
    occurred_at: datetime

    @classmethod
    def of(cls, event: Event | None) -> Did | None:
        if event is None:
            return None
        return cls(event.type, event.agency, event.actor, event.occurred_at)


@dataclass(frozen=True)
class Step:
    """One entry as the report shows it (`event` None when the payload is not there)."""

    log: str
    index: int
    subject: str
    version: int
    integrated_at: str
    event: Did | None
    missing: str | None
    keyids: tuple[str, ...]
    failed: bool


@dataclass
class LogSummary:
    """One log of the bundle: its checkpoint, what it held and what it lacked."""

    log: str
    checkpoint: Checkpoint | None
    note: str | None = None  # the checkpoint's signed note, once it verified
    trusted: Checkpoint | None = None
    entries: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)  # subjects with a head record
    subject_map: Checkpoint | None = None  # the subject-map note, once it verified
    proven: dict[str, int] = field(default_factory=dict)  # subject -> proven head (0: absent)
    withheld: list[int] = field(default_factory=list)
    redacted: list[int] = field(default_factory=list)
    redaction_basis: dict[int, str] = field(default_factory=dict)  # entry -> the legal basis


@dataclass
class Outcome:
    """Everything the verifier established about one bundle/2."""

    header: Header
    logs: dict[str, LogSummary] = field(default_factory=dict)
    failures: list[FailedCheckError] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    replay: Replays = field(default_factory=Replays)
    as_of: datetime | None = None
    tally: Tally = field(default_factory=Tally)
    """Counts of what was checked (the checklist); `steps` holds only the shown subjects'."""

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def verdict(self) -> str:
        if self.failures:
            return FAILED
        return PARTIAL if self.partial else COMPLETE

    @property
    def exit_code(self) -> int:
        if self.failures:
            return EXIT_FAILED
        return EXIT_PARTIAL if self.partial else EXIT_COMPLETE
