"""Turning stored log entries back into domain entries the projector can fold.

An entry of the log was parsed and checked by the writer before it was accepted
(`domain.events.parse_payload`: the input bounds, duplicate keys, ids, the data's model) and
its envelope by `verification.dsse.parse_envelope`. The read models decode each stored entry
once: the envelope JSON for its signers' keyids, the payload bytes as stored (not through the
envelope's base64), the leaf JSON for its integration time and registry size, and the payload
JSON into the event, validated by the same pydantic model the domain uses; the generic input
bounds are not checked again. What this fast path cannot read exactly as the domain does (a
number too large for orjson, anything orjson refuses) goes through the domain's own parse, so
the event is the domain's in every case and an entry the domain would refuse still fails.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import orjson

from domain.entry import Entry
from domain.event_data import EVENT_TYPES
from domain.events import Event, parse_payload
from domain.fields import parse_instant as parse_occurred
from ledger.records import EntryRecorded
from verification.dsse import parse_envelope
from verification.leaf import parse_instant

_FIELDS = ("type", "agency", "subject", "actor", "occurred_at", "data")


def to_entry(recorded: EntryRecorded) -> Entry:
    """The domain entry of a stored event through the domain's own checks: its payload,
    signers, integration time and the registry size its keys were decided on (the leaf's)."""
    envelope = parse_envelope(recorded.envelope)
    event = parse_payload(envelope.payload)
    leaf = recorded.leaf
    at = parse_instant(str(leaf["integrated_at"]))
    keyids = tuple(s.keyid for s in envelope.signatures)
    return Entry(recorded.index, event, keyids, at, int(leaf.get("registry_size") or 0))


def leaf_of(recorded: EntryRecorded) -> dict[str, Any]:
    """The stored leaf's fields (its canonical JSON, parsed once)."""
    leaf: dict[str, Any] = orjson.loads(recorded.leaf_json)
    return leaf


def decode_entry(
    recorded: EntryRecorded, envelope: Mapping[str, Any], payload: bytes, leaf: Mapping[str, Any]
) -> Entry:
    """The domain entry of a stored event whose envelope, payload bytes and leaf are already
    read (each once): equal to `to_entry(recorded)` for every entry the writer accepted."""
    keyids = tuple(_keyid(item) for item in envelope["signatures"])
    at = parse_instant(str(leaf["integrated_at"]))
    return Entry(
        recorded.index, _event(payload), keyids, at, int(leaf.get("registry_size") or 0)
    )


def payload_of(envelope: Mapping[str, Any], stored: bytes | None) -> bytes | None:
    """The signed payload bytes, as `ledger.payload_split.join` puts them back: those of an
    envelope that holds them (stored before payloads were kept apart), else those stored
    beside the event; None once redacted."""
    found = envelope.get("payload")
    if isinstance(found, str):
        return base64.b64decode(found)
    return stored


def _keyid(item: Mapping[str, Any]) -> str:
    keyid = item.get("keyid")
    return "" if keyid is None else str(keyid)


def _event(payload: bytes) -> Event:
    """The event of accepted payload bytes, as `parse_payload` makes it."""
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError:  # e.g. an integer of more than 64 bits: the domain's way
        return parse_payload(payload)
    if not isinstance(raw, dict) or any(name not in raw for name in _FIELDS):
        return parse_payload(payload)  # refused there, with the domain's error
    model = EVENT_TYPES.get(raw["type"]) if isinstance(raw["type"], str) else None
    data = raw["data"]
    if model is None or not isinstance(data, dict):
        return parse_payload(payload)
    return Event(
        type=raw["type"],
        agency=raw["agency"],
        subject=raw["subject"],
        actor=raw["actor"],
        occurred_at=parse_occurred(raw["occurred_at"]),
        data=model.model_validate(data),
        payload=MappingProxyType(raw),
    )
