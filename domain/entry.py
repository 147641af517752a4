"""A log entry as the domain sees it, and the flags the rules raise on entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.events import Event


@dataclass(frozen=True)
class Entry:
    """An event at a log index, with the keyids whose signatures the caller already verified."""

    index: int
    event: Event
    keyids: tuple[str, ...]
    integrated_at: datetime


@dataclass(frozen=True)
class Flag:
    """A rule violation recorded against the entry that raised it."""

    rule: str
    entry: int
    detail: str

    def as_json(self) -> dict[str, object]:
        """The flag as the API and bundles show it."""
        return {"rule": self.rule, "entry": self.entry, "detail": self.detail}
