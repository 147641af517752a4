"""Turning stored log entries back into domain entries the projector can fold."""

from __future__ import annotations

from domain.entry import Entry
from domain.events import parse_payload
from ledger.records import EntryRecorded
from verification.dsse import parse_envelope
from verification.leaf import parse_instant


def to_entry(recorded: EntryRecorded) -> Entry:
    """The domain entry of a stored event: its payload, signers, integration time and the
    registry size its keys were decided on (the leaf's)."""
    envelope = parse_envelope(recorded.envelope)
    event = parse_payload(envelope.payload)
    leaf = recorded.leaf
    at = parse_instant(str(leaf["integrated_at"]))
    keyids = tuple(s.keyid for s in envelope.signatures)
    return Entry(recorded.index, event, keyids, at, int(leaf.get("registry_size") or 0))
