"""Progress of the verifier's long phases, one line each on a terminal, nothing elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

Phases = Callable[[str, int, int], None]
"""Called as (phase, done, total): "checking", with `done` of the bundle's `total` records."""

EVERY = 2000
"""Records between two reports; bundles smaller than this report nothing."""


def due(done: int, total: int) -> bool:
    """Whether a phase at `done` of `total` records should report now."""
    return total >= EVERY and (done % EVERY == 0 or done == total)


class TerminalPhases:
    """Writes `phase: done/total` over itself on a terminal; on a pipe or file, nothing."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or not due(done, total):
            return
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{phase}: {done}/{total}{end}")
        self.stream.flush()
