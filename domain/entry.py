"""A log entry as the domain sees it, and what recording it did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.aggregates import Aggregate, Annotation
from domain.events import Event
from domain.flags import Flag


@dataclass(frozen=True)
class Entry:
    """An event at a log index, with the keyids whose signatures the caller already verified.

    `registry_size` is the prefix of the registry log whose organisations and keys decide
    the entry's key rules (always 0 for entries of the registry log itself)."""

    index: int
    event: Event
    keyids: tuple[str, ...]
    integrated_at: datetime
    registry_size: int = 0


@dataclass(frozen=True)
class Recorded:
    """What an accepted entry did: its subject's kind, the subject's aggregate value after it
    (None when unchanged, as for an annotation), the flags it raised, its annotation."""

    kind: str
    value: Aggregate | None
    flags: tuple[Flag, ...]
    annotation: Annotation | None = None
