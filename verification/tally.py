"""Counts of what the verifier checked, per log: the report's checklist and period summary.

Kept as counters, not per entry, so they stay small however large the bundle is."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from verification.leaf import parse_instant
from verification.records import EntryRecord

if TYPE_CHECKING:
    from verification.outcome import Step


@dataclass
class LogTally:
    """One log's counts."""

    entries: int = 0
    payloads: int = 0  # payload hashes checked (entries carrying their payload)
    signatures: int = 0  # signatures verified over PAE by a registered key
    by_inclusion: int = 0  # entries with an inclusion proof of their own
    in_ranges: int = 0  # entries covered by a range rebuilt from its leaves
    types: Counter[str] = field(default_factory=Counter)  # event type -> entries


@dataclass
class Tally:
    """Every log's counts, and the last integration time of the bundle."""

    logs: dict[str, LogTally] = field(default_factory=dict)
    last_integrated: datetime | None = None

    def count(self, record: EntryRecord, step: Step) -> None:
        found = self.logs.get(record.log)
        if found is None:
            found = self.logs[record.log] = LogTally()
        found.entries += 1
        if record.payload is not None:
            found.payloads += 1
        found.signatures += len(step.keyids)
        if record.proof is None:
            found.in_ranges += 1
        else:
            found.by_inclusion += 1
        if step.event is not None:
            found.types[step.event.type] += 1
        try:
            at = parse_instant(record.leaf.integrated_at)
        except ValueError:
            return  # the entry's check refused it as unusable input already
        if self.last_integrated is None or at > self.last_integrated:
            self.last_integrated = at
