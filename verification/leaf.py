"""The log leaf of DESIGN §4: its fields, its canonical (JCS) bytes and its hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from verification.dsse import Envelope, Signature
from verification.merkle import leaf_hash


def format_instant(at: datetime) -> str:
    """RFC 3339 UTC with microseconds and a Z, the ledger's one time format."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
"""The ledger's years (DESIGN §5): an instant's wall date and its UTC date lie within them."""


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 instant with an offset (as `format_instant` writes), its wall date and
    UTC date within EARLIEST..LATEST; anything else is a ValueError (never an OverflowError)."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 instant") from None
    offset = at.utcoffset()
    if offset is None:
        raise ValueError(f"{text!r} needs an offset, e.g. 2026-12-01T08:00:00+07:00")
    if not EARLIEST <= at.date() <= LATEST:
        raise ValueError(f"{text!r} is outside {EARLIEST}..{LATEST}")
    if not EARLIEST <= (at.replace(tzinfo=None) - offset).date() <= LATEST:  # cannot overflow now
        raise ValueError(f"{text!r} is outside {EARLIEST}..{LATEST} in UTC")
    return at


@dataclass(frozen=True)
class Leaf:
    """What the log commits to for one entry (the payload only by its hash): DESIGN §4.

    `log` names the log the entry belongs to; `registry_size` is the prefix of the registry
    log whose organisations and keys the writer used to accept it (0 for the registry log)."""

    log: str
    payload_type: str
    payload_sha256: str
    signatures: tuple[Signature, ...]
    subject: str
    version: int
    prev: str | None
    integrated_at: str
    registry_size: int = 0

    @classmethod
    def for_envelope(
        cls,
        envelope: Envelope,
        *,
        log: str,
        registry_size: int,
        subject: str,
        version: int,
        prev: str | None,
        integrated_at: datetime,
    ) -> Leaf:
        return cls(
            log=log,
            payload_type=envelope.payload_type,
            payload_sha256=hashlib.sha256(envelope.payload).hexdigest(),
            signatures=envelope.signatures,
            subject=subject,
            version=version,
            prev=prev,
            integrated_at=format_instant(integrated_at),
            registry_size=registry_size,
        )

    @classmethod
    def from_json(cls, obj: dict[str, object]) -> Leaf:
        signatures = obj["signatures"]
        if not isinstance(signatures, list):
            raise TypeError("leaf signatures must be a list")
        prev = obj["prev"]
        return cls(
            log=str(obj["log"]),
            payload_type=str(obj["payload_type"]),
            payload_sha256=str(obj["payload_sha256"]),
            signatures=tuple(
                Signature(keyid=str(s["keyid"]), sig=str(s["sig"])) for s in signatures
            ),
            subject=str(obj["subject"]),
            version=int(str(obj["version"])),
            prev=None if prev is None else str(prev),
            integrated_at=str(obj["integrated_at"]),
            registry_size=int(str(obj["registry_size"])),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "log": self.log,
            "payload_type": self.payload_type,
            "payload_sha256": self.payload_sha256,
            "signatures": [s.as_json() for s in self.signatures],
            "subject": self.subject,
            "version": self.version,
            "prev": self.prev,
            "registry_size": self.registry_size,
            "integrated_at": self.integrated_at,
        }

    def canonical(self) -> bytes:
        """The RFC 8785 (JCS) canonical JSON bytes that are hashed into the tree.

        For this flat object of ASCII keys, strings, small integers and null, JCS is exactly
        Python's sorted, compact, non-ASCII-escaping JSON (tests compare it with `rfc8785`
        on generated leaves); it is computed that way because `rfc8785` costs ten times more.
        """
        text = json.dumps(self.as_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return text.encode("utf-8")

    def hash(self) -> bytes:
        """RFC 9162 leaf hash: SHA-256(0x00 || canonical leaf)."""
        return leaf_hash(self.canonical())
