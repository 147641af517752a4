"""Turning stored log entries back into domain entries the projector can fold.

An entry of the log was parsed and checked by the writer before it was accepted
(`domain.events.parse_payload`: the input bounds, duplicate keys, ids, the data's model) and
its envelope by `verification.dsse.parse_envelope`. The read models decode each stored entry
once: the envelope JSON for its signers' keyids, the payload bytes as stored (not through the
envelope's base64), the leaf JSON for its integration time and registry size, and the payload
JSON into the event, validated by the same pydantic model the domain uses; the generic input
bounds, the duplicate keys and the subject rules are not checked again (so numbers beyond
±2^53, which those bounds refuse, may read otherwise here). Whatever this fast path does not
read as an accepted payload (not JSON to orjson, an unknown type, a field missing, data its
model refuses) goes through the domain's own parse: its event, or its error.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

import orjson
from eventsourcing.persistence import Mapper

from domain.entry import Entry
from domain.event_data import EVENT_TYPES
from domain.events import Event, parse_payload
from domain.fields import parse_instant as parse_occurred
from ledger.records import EntryRecorded
from ledger.store import StoredEntry
from verification.dsse import parse_envelope
from verification.leaf import parse_instant

_TOPIC = EntryRecorded.TOPIC


def to_entry(recorded: EntryRecorded) -> Entry:
    """The domain entry of a stored event through the domain's own checks: its payload,
    signers, integration time and the registry size its keys were decided on (the leaf's)."""
    envelope = parse_envelope(recorded.envelope)
    event = parse_payload(envelope.payload)
    leaf = recorded.leaf
    at = parse_instant(str(leaf["integrated_at"]))
    keyids = tuple(s.keyid for s in envelope.signatures)
    return Entry(recorded.index, event, keyids, at, int(leaf.get("registry_size") or 0))


def stored_fields(stored: StoredEntry, mapper: Mapper[Any]) -> tuple[int, str, str]:
    """(index, envelope JSON, leaf JSON) of a stored entry. Its stored event is plain JSON
    (eventsourcing's JSON transcoder, no cipher, no compression), so these three fields are
    read from it with orjson instead of through the mapper, which would also rebuild the
    event's id, version and timestamp; any other stored form goes through the mapper."""
    event = stored.event
    if mapper.cipher is None and mapper.compressor is None and event.topic == _TOPIC:
        try:
            state = orjson.loads(event.state)
            index, envelope, leaf = state["index"], state["envelope_json"], state["leaf_json"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            pass
        else:
            if type(index) is int and type(envelope) is str and type(leaf) is str:
                return index, envelope, leaf
    recorded = cast(EntryRecorded, mapper.to_domain_event(event))
    return recorded.index, recorded.envelope_json, recorded.leaf_json


def decode_entry(
    index: int, envelope: Mapping[str, Any], payload: bytes, leaf: Mapping[str, Any]
) -> Entry:
    """The domain entry of a stored event whose envelope, payload bytes and leaf are already
    read (each once): equal to `to_entry` of the same entry for every entry the writer
    accepted."""
    keyids = tuple(_keyid(item) for item in envelope["signatures"])
    at = parse_instant(str(leaf["integrated_at"]))
    return Entry(index, _event(payload), keyids, at, int(leaf.get("registry_size") or 0))


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
    """The event of accepted payload bytes, as `parse_payload` makes it; anything this path
    does not read as an accepted payload is left to `parse_payload` (its event or its error)."""
    try:
        raw = orjson.loads(payload)
        model = EVENT_TYPES.get(raw["type"]) if type(raw) is dict else None
        if model is None or type(raw["data"]) is not dict:
            return parse_payload(payload)
        return Event(
            type=raw["type"],
            agency=raw["agency"],
            subject=raw["subject"],
            actor=raw["actor"],
            occurred_at=parse_occurred(raw["occurred_at"]),
            data=model.model_validate(raw["data"]),
            payload=MappingProxyType(raw),
        )
    except (ValueError, KeyError, TypeError):  # orjson's and pydantic's errors are ValueErrors
        return parse_payload(payload)
