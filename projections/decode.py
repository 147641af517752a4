"""Turning stored log entries back into domain entries the projector can fold."""

from __future__ import annotations

import base64
import binascii
import json

from domain.entry import Entry
from domain.events import parse_payload
from ledger.records import EntryRecorded
from verification.dsse import parse_envelope
from verification.leaf import parse_instant


def to_entry(recorded: EntryRecorded) -> Entry:
    """The domain entry of a stored event: its payload, signers and integration time."""
    envelope = parse_envelope(recorded.envelope)
    event = parse_payload(envelope.payload)
    at = parse_instant(str(recorded.leaf["integrated_at"]))
    return Entry(recorded.index, event, tuple(s.keyid for s in envelope.signatures), at)


def agency_of(recorded: EntryRecorded) -> str:
    """The payload's `agency`, read as plainly as possible (for an entry `to_entry` refused)."""
    try:
        payload = json.loads(base64.b64decode(str(recorded.envelope["payload"])))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return "?"
    agency = payload.get("agency") if isinstance(payload, dict) else None
    return agency if isinstance(agency, str) else "?"
