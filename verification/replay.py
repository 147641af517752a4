"""Replay a bundle/2's logs: the registry log into a RegistryState, each agency log into its
LedgerState, entry by entry as they stream, keeping the flags and what could not be replayed.

Memory stays bounded: each agency state keeps a bounded working set and spills the rest
(verification/spill.py); the steps of a subject (for its view) are kept only for the subjects
the report shows (`keep`: the claimed ones, or every subject when asked for a full timeline);
flags are kept only for the entries that raised some."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from domain.entry import Entry, Recorded
from domain.errors import DomainError, Refusal
from domain.events import OPERATOR
from domain.flags import Flag
from domain.history import subject_view
from domain.registry import RegistryState
from domain.state import LedgerState, SubjectView
from domain.store import Step
from verification import spill as spilled
from verification.errors import unexpected
from verification.failures import FailedCheckError, ReplayRefusedError
from verification.spill import Spill

Keep = Callable[[str, str], bool]
"""Whether the replay keeps the steps of (log, subject), for the subject's view."""


def keep_none(log: str, subject: str) -> bool:
    return False


@dataclass
class LogReplay:
    """One agency log's rebuilt state and the subjects whose replay stopped, with why."""

    log: str
    state: LedgerState
    hidden: dict[str, str] = field(default_factory=dict)  # subject -> why its replay stopped
    tainted: str | None = None  # a failure of the log that later refusals follow from
    stopped: dict[str, str] = field(default_factory=dict)  # subject -> refusal after a gap
    steps: dict[str, tuple[str, list[Step]]] = field(default_factory=dict)  # kept: kind, steps


@dataclass
class Replays:
    """The replay of every log of the bundle."""

    registry: RegistryState = field(default_factory=lambda: RegistryState(allow_gaps=True))
    registry_gap: tuple[int, str] | None = None  # the first registry entry not folded, and why
    logs: dict[str, LogReplay] = field(default_factory=dict)
    flags: dict[tuple[str, int], tuple[Flag, ...]] = field(default_factory=dict)
    skipped: dict[tuple[str, int], str] = field(default_factory=dict)
    failures: list[FailedCheckError] = field(default_factory=list)
    flagged: dict[tuple[str, int], str] = field(default_factory=dict)  # entry -> its subject
    keep: Keep = keep_none
    spill: Spill = field(default_factory=Spill)
    folded: int = 0

    def view(self, log: str, subject: str, as_of: datetime | None) -> SubjectView | None:
        """The subject as of `as_of` (at or after the last entry), if its steps were kept."""
        found = self.logs.get(log)
        kept = None if found is None else found.steps.get(subject)
        if found is None or kept is None or not kept[1]:
            return None
        kind, steps = kept
        at = as_of or steps[-1].integrated_at
        value = next((s.value for s in reversed(steps) if s.value is not None), None)
        agency = getattr(value, "agency", None)
        policy = found.state.policy(agency) if isinstance(agency, str) else None
        return subject_view(subject, kind, steps, at, policy)

    def close(self) -> None:
        """Drop the spilled state (views and flags stay)."""
        self.spill.close()

    def hide(self, log: str, index: int, subject: str, why: str) -> None:
        """Entry (log, index) is not replayed; its subject's later refusals are not verdicts."""
        self.skipped[(log, index)] = why
        if log == OPERATOR:
            if self.registry_gap is None:
                self.registry_gap = (index, why)
            return
        replay = self._log(log)
        replay.hidden.setdefault(subject, f"entry {index} {why}")

    def redacted(self, log: str, index: int, subject: str, at: datetime) -> None:
        """Entry (log, index) was redacted (its `entry.redacted` is proven): the domain's fold
        marks its subject's state unknown from it, as the writer's and the read models' do
        (docs/rules.md); later refusals in the log are not verdicts but what was not replayed."""
        self.hide(log, index, subject, "was redacted")
        state = self._log(log).state
        try:
            state.record_redacted(index, subject, at)
        except DomainError as error:  # out of order: the order check names the failure
            self.skipped[(log, index)] = f"was redacted; not folded: {error}"

    def taint(self, log: str, why: str) -> None:
        """A check of the log failed: later refusals of its replay follow from it, and are
        reported as not replayed rather than as failures of their own."""
        if log == OPERATOR:
            return  # the failed registry entry is not folded: `hide` marks the gap
        replay = self._log(log)
        if replay.tainted is None:
            replay.tainted = why

    def chain_starts_late(self, log: str, subject: str, version: int) -> None:
        """The bundle holds the subject from `version` on: earlier state is not replayed."""
        if log != OPERATOR:
            why = f"versions 1..{version - 1} (not in the bundle)"
            self._log(log).hidden.setdefault(subject, why)

    def _log(self, log: str) -> LogReplay:
        found = self.logs.get(log)
        if found is None:
            state = LedgerState(
                log,
                self.registry,
                allow_gaps=True,
                loader=self.spill.load,
                capacity=spilled.CAPACITY,
            )
            found = self.logs[log] = LogReplay(log, state)
        return found

    def record(self, log: str, entry: Entry) -> None:
        """Fold one verified entry; a refusal is a failure unless an earlier gap explains it."""
        subject, index = entry.event.subject, entry.index
        if log == OPERATOR:  # a selection of the registry: indexes rise, may skip
            self._fold(log, entry, None)
            return
        gap = self.registry_gap
        if gap is not None and entry.registry_size > gap[0]:
            self.hide(log, index, subject, f"rests on registry entry {gap[0]}, which {gap[1]}")
            return
        replay = self._log(log)
        self._fold(log, entry, replay)

    def _fold(self, log: str, entry: Entry, replay: LogReplay | None) -> None:
        subject, index = entry.event.subject, entry.index
        hidden = None if replay is None else replay.hidden.get(subject) or replay.tainted
        try:
            if replay is None:
                flags = self.registry.record(entry).flags
            else:
                found = (
                    replay.state.record(entry)
                    if replay.state.redacted_since is None
                    else self._refold(log, entry, replay, hidden)
                )
                if found is None:
                    return
                recorded = found
                flags = recorded.flags
                self._kept(
                    replay,
                    entry,
                    recorded.kind,
                    Step(index, entry.integrated_at, recorded.value, flags, recorded.annotation),
                )
            if flags:
                self.flags[(log, index)] = flags
                self.flagged[(log, index)] = subject
        except Refusal as refusal:
            gap = self.registry_gap
            if replay is None and gap is not None:  # follows from a registry entry not folded
                self.skipped[(log, index)] = (
                    f"not replayable after registry entry {gap[0]}, which {gap[1]}: {refusal}"
                )
                return
            if hidden is not None and replay is not None:
                self.skipped[(log, index)] = f"not replayable after {hidden}: {refusal}"
                replay.stopped.setdefault(subject, f"after {hidden}: {refusal}")
                return
            self._failed(
                log, index, subject, replay, ReplayRefusedError(index, refusal.rule, str(refusal))
            )
        except DomainError as error:
            self._failed(
                log, index, subject, replay, ReplayRefusedError(index, "out-of-order", str(error))
            )
        except Exception as error:  # a signed entry the rules cannot fold
            self._failed(
                log,
                index,
                subject,
                replay,
                ReplayRefusedError(index, "replay-error", unexpected(error)),
            )

    def _kept(self, replay: LogReplay, entry: Entry, kind: str, step: Step) -> None:
        subject = entry.event.subject
        kept = replay.steps.get(subject)
        if kept is not None:
            kept[1].append(step)
        elif self.keep(replay.log, subject):
            replay.steps[subject] = (kind, [step])
        self.folded += 1
        if self.folded % spilled.FLUSH_EVERY == 0:
            for each in self.logs.values():
                self.spill.store(each.state.dirty())
                each.state.settle()

    def _refold(
        self, log: str, entry: Entry, replay: LogReplay, hidden: str | None
    ) -> Recorded | None:
        """After a redaction the log is folded as the writer refolds it (`refold`): an entry
        the rules refuse is not applied and its subject's state is unknown from it (None)."""
        recorded = replay.state.refold(entry)
        if recorded is not None:
            return recorded
        why = hidden or f"the redaction of entry {replay.state.redacted_since}"
        subject = entry.event.subject
        self.skipped[(log, entry.index)] = f"not replayable after {why}"
        replay.stopped.setdefault(subject, f"after {why}")
        return None

    def _failed(
        self,
        log: str,
        index: int,
        subject: str,
        replay: LogReplay | None,
        failure: FailedCheckError,
    ) -> None:
        self.failures.append(failure.in_log(log))
        if replay is None:
            if self.registry_gap is None:
                self.registry_gap = (index, "was refused")
        else:
            replay.hidden.setdefault(subject, f"entry {index} was refused")
