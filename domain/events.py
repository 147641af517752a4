"""Decode and validate an event payload into a typed, immutable Event."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from domain.errors import PayloadInvalid, UnknownEventType
from domain.event_data import (
    EVENT_TYPES,
    OPERATOR_EVENTS,
    EntryRedacted,
    EvaluationRecorded,
    KeyRegistered,
)
from domain.fields import (
    MAX_LIST,
    MAX_NUMBER,
    MAX_STRING,
    check_id,
    check_nip,
    check_slug,
    parse_instant,
)

__all__ = [
    "EVENT_TYPES",
    "MAX_PAYLOAD_BYTES",
    "OPERATOR",
    "Event",
    "keyid_of",
    "parse_payload",
    "public_key_bytes",
]

OPERATOR = "operator"
MAX_PAYLOAD_BYTES = 256 * 1024
_MAX_DEPTH = 16
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f]")
_KEY_SUBJECT = re.compile(r"key:[0-9a-f]{64}")
RESERVED_SUBJECT_SUFFIX = "/history"
_FIELDS = ("type", "agency", "subject", "actor", "occurred_at", "data")


@dataclass(frozen=True)
class Event:
    """A validated event payload: envelope-independent, as the signer sent it."""

    type: str
    agency: str
    subject: str
    actor: str
    occurred_at: datetime
    data: BaseModel
    payload: Mapping[str, object]


def keyid_of(public_key: bytes) -> str:
    """The keyid of a raw Ed25519 public key: lowercase hex SHA-256 of its 32 bytes."""
    return hashlib.sha256(public_key).hexdigest()


def public_key_bytes(data: KeyRegistered) -> bytes:
    """The 32 raw Ed25519 public key bytes of a key.registered event."""
    try:
        raw = base64.b64decode(data.public_key, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadInvalid("data.public_key is not standard base64") from None
    if len(raw) != 32:
        raise PayloadInvalid(f"data.public_key holds {len(raw)} bytes, not 32")
    return raw


def _reject_constant(name: str) -> object:
    raise PayloadInvalid(f"payload contains the non-JSON number {name}")


def _parse_int(text: str) -> int | float:
    """Integers of more digits than any bound allows decode as floats, refused by value later
    (Python's int() would refuse a very long one with a message that names no field)."""
    return int(text) if len(text) <= 20 else float(text)


def _unique_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise PayloadInvalid(f"payload repeats the key {key!r}")
        result[key] = value
    return result


def _check_string(text: str, where: str, *, free: bool) -> None:
    """Bounded length, no C0 control character (tab and newline in free text), valid UTF-8."""
    if len(text) > MAX_STRING:
        raise PayloadInvalid(f"{where} holds a string longer than {MAX_STRING} characters")
    bad = (_CONTROL_IN_TEXT if free else _CONTROL).search(text)
    if bad is not None:
        raise PayloadInvalid(f"{where} holds the control character U+{ord(bad.group()):04X}")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise PayloadInvalid(f"{where} holds a lone surrogate escape, not text") from None


def _check_values(value: object, where: str, depth: int = 0) -> None:
    """Every value of the decoded payload keeps the generic bounds; `where` names it."""
    if depth > _MAX_DEPTH:
        raise PayloadInvalid(f"payload nests deeper than {_MAX_DEPTH} levels (at {where})")
    if isinstance(value, str):
        _check_string(value, where, free=True)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int | float):
        if not (math.isfinite(value) and -MAX_NUMBER <= value <= MAX_NUMBER):
            raise PayloadInvalid(f"{where} is not a finite number within ±2^53")
    elif isinstance(value, list):
        if len(value) > MAX_LIST:
            raise PayloadInvalid(f"{where} holds a list longer than {MAX_LIST} items")
        for position, item in enumerate(value):
            _check_values(item, f"{where}.{position}", depth + 1)
    elif isinstance(value, dict):
        if len(value) > MAX_LIST:
            raise PayloadInvalid(f"{where} holds an object with more than {MAX_LIST} keys")
        for key, item in value.items():
            _check_string(key, f"a key of {where or 'the payload'}", free=False)
            _check_values(item, f"{where}.{key}" if where else key, depth + 1)


_JSON: TypeAdapter[Any] = TypeAdapter(Any)
_READ_JSON, _WRITE_JSON = _JSON.validator.validate_json, _JSON.serializer.to_json  # pydantic-core

# What is left of compact JSON without strings when it holds no number: brackets, separators and
# the letters of true, false and null (bytes.translate deletes these; a number leaves a digit).
_NO_NUMBER = b"{}[]:,truefalsnl"


def _decode_plain(payload: bytes) -> dict[str, object] | None:
    """The decoded payload when it is plain, or None (never an error): `_decode`'s fast path.

    Plain is the compact JSON of an object (no whitespace between tokens, as the signers write
    it) that pydantic-core decodes and writes back byte for byte, with no escape but a newline
    or a tab in a value, no number, and every bound kept; `_decode_checked` decodes it to the
    same dict:

    - writing back the same bytes proves the text valid UTF-8 JSON with no key repeated in any
      object (the parser keeps a repeated key's last value once, the writer each key it kept);
    - when every backslash starts a \\n or \\t, no string holds another escape, so no other
      control character, no lone surrogate, no key that is another spelled differently ("a"
      and "\\u0061") and no escaped quote: the text splits at its quotes into the strings and
      the structure between them (a string followed by ":" is a key, which holds no escape);
    - without numbers no number bound is left to check (pydantic-core and json agree on
      strings, true, false, null, objects and arrays);
    - the structure's commas bound every list and object (n items need n - 1 commas), its
      brackets the depth, and each string's bytes its characters.
    """
    if type(payload) is not bytes:
        return None
    escapes = payload.count(b"\\")
    if escapes and escapes != payload.count(b"\\n") + payload.count(b"\\t"):
        return None
    try:
        decoded = _READ_JSON(payload)
    except ValueError:  # pydantic's ValidationError
        return None
    if type(decoded) is not dict or _WRITE_JSON(decoded) != payload:
        return None
    pieces = payload.split(b'"')
    structure = b"".join(pieces[::2])
    if (
        structure.translate(None, _NO_NUMBER)
        or structure.count(b",") >= MAX_LIST
        or structure.count(b"[") + structure.count(b"{") > _MAX_DEPTH
        or (len(payload) > MAX_STRING + 2 and max(map(len, pieces[1::2])) > MAX_STRING)
    ):
        return None
    if escapes and any(
        b"\\" in pieces[i] and pieces[i + 1][:1] == b":" for i in range(1, len(pieces) - 1, 2)
    ):
        return None  # a key with a tab or a newline
    return decoded


def _decode(payload: bytes) -> dict[str, object]:
    """The payload as a dict within the generic bounds, or PayloadInvalid."""
    plain = _decode_plain(payload)
    return _decode_checked(payload) if plain is None else plain


def _decode_checked(payload: bytes) -> dict[str, object]:
    """Decode any payload: refuse repeated keys as it decodes, then check the bounds of every
    value, naming the first one out of them."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadInvalid(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = payload.decode("utf-8")
        decoded: object = json.loads(
            text,
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadInvalid(f"payload is not UTF-8 JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise PayloadInvalid("payload is not a JSON object")
    _check_values(decoded, "")
    return decoded


def _text(raw: Mapping[str, object], name: str) -> str:
    value = raw[name]
    if not isinstance(value, str) or not value:
        raise PayloadInvalid(f"payload field {name!r} must be a non-empty string")
    return value


def _check(check: Callable[[str], str], value: str, name: str, detail: str) -> None:
    """Run a field check, refusing with the detail and the check's reason."""
    try:
        check(value)
    except ValueError as exc:
        raise PayloadInvalid(f"{name}: {detail} ({exc})") from None


def _id(raw: Mapping[str, object], name: str) -> str:
    value = _text(raw, name)
    _check(check_id, value, name, f"{name} is not an id")
    return value


def _validation_detail(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "data"
    return f"data.{where}: {first['msg']}"


def _check_subject(event_type: str, agency: str, subject: str, data: BaseModel) -> None:
    if event_type in OPERATOR_EVENTS and agency != OPERATOR:
        raise PayloadInvalid(f"{event_type} is an operator event: its agency must be 'operator'")
    if event_type.startswith("key.") and not _KEY_SUBJECT.fullmatch(subject):
        raise PayloadInvalid(f"{event_type} subject must be key:<64 hex keyid>, not {subject!r}")
    if event_type == "org.registered":
        _check(
            check_slug, subject, "subject", f"org.registered subject {subject!r} is not an org slug"
        )
    if event_type.startswith("employee."):
        _check(check_nip, subject, "subject", f"{event_type} subject must be the employee's NIP")
    if event_type == "policy.enacted" and subject != f"policy:{agency}":
        raise PayloadInvalid(f"policy.enacted subject must be 'policy:{agency}'")
    if isinstance(data, KeyRegistered):
        raw = public_key_bytes(data)
        if f"key:{keyid_of(raw)}" != subject:
            raise PayloadInvalid("key.registered subject is not key:<sha256 of the public key>")
    if isinstance(data, EntryRedacted):
        expected = f"redaction:{data.log}:{data.index}"
        if subject != expected:
            raise PayloadInvalid(f"entry.redacted subject must be {expected!r}")
    if isinstance(data, EvaluationRecorded):
        expected = f"eval:{data.employee}:{data.period}"
        if subject != expected:
            raise PayloadInvalid(f"evaluation.recorded subject must be {expected!r}")


def parse_payload(payload: bytes) -> Event:
    """Decode payload bytes into an Event, or raise PayloadInvalid / UnknownEventType."""
    raw = _decode(payload)
    missing = [name for name in _FIELDS if name not in raw]
    if missing:
        raise PayloadInvalid(f"payload misses the field(s) {', '.join(missing)}")
    event_type = _text(raw, "type")
    model = EVENT_TYPES.get(event_type)
    if model is None:
        raise UnknownEventType(f"event type {event_type!r} is not in the catalogue")
    agency = _text(raw, "agency")
    _check(check_slug, agency, "agency", f"agency {agency!r} is not an org slug")
    subject = _id(raw, "subject")
    if subject.endswith(RESERVED_SUBJECT_SUFFIX):
        raise PayloadInvalid(
            f"subject {subject!r} ends in {RESERVED_SUBJECT_SUFFIX!r}, which is reserved "
            "(a subject's history is read at /v1/subjects/<subject>/history)"
        )
    actor = _id(raw, "actor")
    try:
        occurred_at = parse_instant(raw["occurred_at"])
    except ValueError as exc:
        raise PayloadInvalid(
            f"occurred_at must be an RFC 3339 instant with an offset: {exc}"
        ) from None
    if not isinstance(raw["data"], dict):
        raise PayloadInvalid("payload field 'data' must be a JSON object")
    try:
        data = model.model_validate(raw["data"])
    except ValidationError as exc:
        raise PayloadInvalid(_validation_detail(exc)) from None
    _check_subject(event_type, agency, subject, data)
    return Event(
        type=event_type,
        agency=agency,
        subject=subject,
        actor=actor,
        occurred_at=occurred_at,
        data=data,
        payload=MappingProxyType(raw),
    )
