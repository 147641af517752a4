"""Progress lines for long operations, shown only when stderr is a terminal."""

from __future__ import annotations

import sys


def progress(label: str) -> ProgressLine:
    return ProgressLine(label)


class ProgressLine:
    """Rewrites one stderr line as `done/total` advances; silent when not on a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        end = "\n" if done >= total else ""
        print(f"\r{self.label}: {done}/{total}", end=end, file=sys.stderr, flush=True)
