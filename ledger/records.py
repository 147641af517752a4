"""What the append path writes: the stored event of an entry and the rows committed with it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic

SUBJECT_NAMESPACE = uuid.UUID("6a0d3c2e-6b1f-5d8e-9f3a-4c2b1e0d9a7f")


def stream_id(log: str, subject: str) -> uuid.UUID:
    """The eventsourcing originator id of a subject's stream: subjects are scoped by their log
    (two agencies may use the same id), and logs of one server share the events table."""
    return uuid.uuid5(SUBJECT_NAMESPACE, f"{log}\n{subject}")


@dataclass(frozen=True)
class EntryRecorded(DomainEvent):
    """One accepted envelope, stored as the next version of its subject's stream."""

    TOPIC: ClassVar[str] = "jejak:entry-recorded/v1"

    index: int
    envelope_json: str
    leaf_json: str
    leaf_hash: str

    @property
    def envelope(self) -> dict[str, Any]:
        """The envelope as stored (compact JSON; the payload bytes are exactly those signed)."""
        value: dict[str, Any] = json.loads(self.envelope_json)
        return value

    @property
    def leaf(self) -> dict[str, Any]:
        """The leaf's fields; `leaf_json` is its canonical text, the bytes that were hashed."""
        value: dict[str, Any] = json.loads(self.leaf_json)
        return value

    @property
    def payload_b64(self) -> str | None:
        """The signed payload (standard base64), or None once it was redacted."""
        found = self.envelope.get("payload")
        return found if isinstance(found, str) else None


register_topic(EntryRecorded.TOPIC, EntryRecorded)


@dataclass(frozen=True)
class EntryRow:
    """The log-index row of an entry, written in the same transaction as its event."""

    index: int
    stream: uuid.UUID
    version: int
    payload_sha256: bytes
    envelope_sha256: bytes


@dataclass(frozen=True)
class CheckpointRow:
    """A signed checkpoint published when a batch commits."""

    size: int
    root: bytes
    note: str
    published_at: str


@dataclass(frozen=True)
class SubjectNoteRow:
    """A signed subject-map note published beside the checkpoint of the same size."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class SubjectMapBatch:
    """The subject-map rows a commit adds: each touched node's body as of `note.size`."""

    nodes: list[tuple[int, int, bytes]]
    note: SubjectNoteRow


@dataclass
class LogBatch:
    """Everything one group commit adds to one log besides the events themselves."""

    log: str
    entries: list[EntryRow] = field(default_factory=list)
    nodes: list[tuple[int, int, bytes]] = field(default_factory=list)
    checkpoint: CheckpointRow | None = None
    subject_map: SubjectMapBatch | None = None
    payloads: list[tuple[int, bytes]] = field(default_factory=list)  # index -> signed bytes
    outside_turn: bool = False  # committed without the writer turn: yields to its holder
