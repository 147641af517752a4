"""Payloads kept apart from the stored events, so that a redaction can erase them.

The stored event of an entry (eventsourcing's `stored_events`, append-only) holds its envelope
without the `payload` field; the signed payload bytes go to `jejak_payloads` in the same
transaction, the one table whose rows may be deleted, and only for an entry whose redaction is
recorded (`jejak_redactions`, enforced by trigger). Reads put the payload back; an entry whose
payload was erased reads back with no `payload` field (`EntryRecorded.payload_b64` is None)."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson

from ledger.records import EntryRecorded


def split(event: EntryRecorded) -> tuple[EntryRecorded, bytes | None]:
    """The event as stored (its envelope without the payload) and the payload's signed bytes;
    an event already without a payload is returned as it is, with None."""
    envelope = orjson.loads(event.envelope_json)
    payload = envelope.pop("payload", None)
    if not isinstance(payload, str):
        return event, None
    return _with_envelope(event, envelope), base64.b64decode(payload)


def join(event: EntryRecorded, payload: bytes | None) -> EntryRecorded:
    """The event as the ledger uses it: the payload put back as the envelope's standard base64
    (how the writer stored it), or the envelope left without one when it was redacted. An event
    stored before payloads were kept apart still holds its payload and is returned as it is."""
    if payload is None:
        return event
    envelope = orjson.loads(event.envelope_json)
    if "payload" in envelope:
        return event
    joined = {
        "payloadType": envelope.get("payloadType"),
        "payload": base64.b64encode(payload).decode(),
        **{k: v for k, v in envelope.items() if k != "payloadType"},
    }
    return _with_envelope(event, joined)


def _with_envelope(event: EntryRecorded, envelope: dict[str, Any]) -> EntryRecorded:
    """A copy of the (frozen) event with another envelope; cheaper than dataclasses.replace,
    which runs the event's constructor."""
    try:
        text = orjson.dumps(envelope).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (a lone surrogate)
        text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    changed = object.__new__(type(event))
    changed.__dict__.update(event.__dict__, envelope_json=text)
    return changed
