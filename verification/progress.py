"""Progress of the verifier's phases, one line each on a terminal, nothing elsewhere.

The phases, as the verifier reports them (`Phases`):
- "reading": the first pass over the file (finding the range records), `done` of `total` bytes;
- "checking": the one pass over the records (parsing each line, leaf and payload hashes,
  signatures over PAE and the keys, inclusion and range proofs, chains, and the rule replay),
  `done` of `total` records;
- "finishing": the claim, ranges and the replayed views (0 of 1, then the report is printed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from verification.wording import Lang, say

Phases = Callable[[str, int, int], None]
"""Called as (phase, done, total), e.g. ("checking", done, total) with `total` records."""

EVERY = 2000
"""Records below which a bundle reports nothing (it is done before a person could read it)."""

READ_AT_LEAST = 1_000_000
"""Bytes below which the reading phase reports nothing."""

STEPS = 200
"""Reports per phase at most (each phase also reports its end)."""


def due(done: int, total: int, last: int) -> bool:
    """Whether a phase at `done` of `total`, last reported at `last`, should report now."""
    return done >= total or done - last >= max(1, total // STEPS)


class TerminalPhases:
    """Writes `phase: done/total` over itself on a terminal; on a pipe or file, nothing.

    Bundles of fewer than `EVERY` records report nothing; the reading phase (which knows the
    file's size, not yet its records) reports nothing for a file under `READ_AT_LEAST` bytes."""

    def __init__(self, stream: TextIO, lang: Lang = "id") -> None:
        self.stream = stream
        self.lang = lang
        self.enabled = stream.isatty()
        self.phase = ""
        self.last = 0
        self.small = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if phase != self.phase:
            self.phase, self.last = phase, -total
            if phase == "reading":
                self.small = total < READ_AT_LEAST
            elif phase == "checking":
                self.small = total < EVERY
        if self.small or total <= 0 or not due(done, total, self.last):
            return
        self.last = done
        label = say(f"phase_{phase}", self.lang)
        if phase == "reading":
            count = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
        elif phase == "checking":
            count = f"{done}/{total}"
        else:
            self.stream.write(f"{label}…\n")  # a short phase: named once
            self.stream.flush()
            return
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{label}: {count}{end}")
        self.stream.flush()
