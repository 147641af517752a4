"""The `jejak-bundle/2` header and records (docs/bundle.md): strict parsing of decoded JSON."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from verification.dsse import Signature
from verification.failures import BundleFormatError
from verification.leaf import Leaf

FORMAT2 = "jejak-bundle/2"
MISSING_REASONS = frozenset({"redacted", "withheld"})
LEAF2_FIELDS = frozenset(
    {
        "log",
        "payload_type",
        "payload_sha256",
        "signatures",
        "subject",
        "version",
        "prev",
        "registry_size",
        "integrated_at",
    }
)
_HEX64 = re.compile("[0-9a-f]{64}")


@dataclass(frozen=True)
class Claim:
    """What the bundle says it holds: a period of a log, whole subjects, or a complaint."""

    kind: str  # "period", "subjects" or "complaint"
    log: str
    period: tuple[str | None, str | None] | None = None  # (from, to) ISO dates; None: open
    subjects: tuple[str, ...] = ()  # the claimed subjects (the complaint for a complaint)


@dataclass(frozen=True)
class Header:
    """Line 1 of a bundle: every field but the records."""

    log_key: str
    claim: Claim
    as_of: str | None
    reader: str | None


@dataclass(frozen=True)
class Consistency:
    """A consistency proof from the tree of `from_size` entries to the log's checkpoint."""

    from_size: int
    hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class LogRecord:
    """A log's signed checkpoint, its subject-map note (if any) and a consistency proof."""

    log: str
    origin: str
    checkpoint: str
    subject_map: str | None
    consistency: Consistency | None


@dataclass(frozen=True)
class EntryRecord:
    """One entry of a log: its leaf, its payload (None: `missing` says why) and its proof."""

    log: str
    index: int
    leaf_hash: str
    leaf: Leaf
    payload: bytes | None
    missing: str | None  # "redacted" or "withheld" when payload is None
    proof: tuple[bytes, ...] | None  # None: a range record covers it


@dataclass(frozen=True)
class RangeRecord:
    """Entries [start, end) of a log and the outside hashes that rebuild its root."""

    log: str
    start: int
    end: int
    hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class HeadRecord:
    """A subject-map proof of a subject's head (checked once subject maps exist)."""

    log: str
    subject: str
    proof: object


Record = LogRecord | EntryRecord | RangeRecord | HeadRecord


def _int(obj: Mapping[str, object], name: str, where: str, least: int = 0) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise BundleFormatError(f"{where}.{name} is missing or not an integer >= {least}")
    return value


def _str(obj: Mapping[str, object], name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise BundleFormatError(f"{where}.{name} is missing or not a string")
    return value


def _opt_str(obj: Mapping[str, object], name: str, where: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise BundleFormatError(f"{where}.{name} is neither null nor a string")
    return value


def _hashes(value: object, where: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise BundleFormatError(f"{where} is not a list of hashes")
    if not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in value):
        raise BundleFormatError(f"{where} holds something other than 64-digit lowercase hex")
    return tuple(bytes.fromhex(h) for h in value)


def parse_claim(obj: object) -> Claim:
    if not isinstance(obj, dict):
        raise BundleFormatError("claim is not an object")
    kind, log = _str(obj, "kind", "claim"), _str(obj, "log", "claim")
    if kind == "period":
        return Claim(kind, log, (_opt_str(obj, "from", "claim"), _opt_str(obj, "to", "claim")))
    if kind == "subjects":
        subjects = obj.get("subjects")
        if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
            raise BundleFormatError("claim.subjects must be a list of subject ids")
        return Claim(kind, log, subjects=tuple(subjects))
    if kind == "complaint":
        return Claim(kind, log, subjects=(_str(obj, "complaint", "claim"),))
    raise BundleFormatError(f"claim.kind {kind!r} is not period, subjects or complaint")


def parse_header(obj: object) -> Header:
    """Check line 1's fields (decoded, `records` left out)."""
    if not isinstance(obj, dict):
        raise BundleFormatError("a bundle is a JSON object")
    if obj.get("format") != FORMAT2:
        raise BundleFormatError(f"format is {obj.get('format')!r}, expected {FORMAT2!r}")
    return Header(
        _str(obj, "log_key", "bundle"),
        parse_claim(obj.get("claim")),
        _opt_str(obj, "as_of", "bundle"),
        _opt_str(obj, "reader", "bundle"),
    )


def parse_leaf(obj: object, where: str) -> Leaf:
    """A bundle/2 leaf: exactly the fields of DESIGN §4, each of its type."""
    if not isinstance(obj, dict) or set(obj) != LEAF2_FIELDS:
        raise BundleFormatError(f"{where} must hold exactly the fields {sorted(LEAF2_FIELDS)}")
    signatures = obj["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise BundleFormatError(f"{where}.signatures must be a non-empty list")
    parsed = []
    for n, item in enumerate(signatures):
        if not isinstance(item, dict) or set(item) != {"keyid", "sig"}:
            raise BundleFormatError(f"{where}.signatures[{n}] must be {{keyid, sig}}")
        keyid, sig = item["keyid"], item["sig"]
        if not isinstance(keyid, str) or not isinstance(sig, str):
            raise BundleFormatError(f"{where}.signatures[{n}] holds a non-string")
        parsed.append(Signature(keyid, sig))
    version = _int(obj, "version", where, least=1)
    registry_size = _int(obj, "registry_size", where)
    prev = _opt_str(obj, "prev", where)
    texts = [_str(obj, name, where) for name in ("log", "payload_type", "payload_sha256")]
    return Leaf(
        log=texts[0],
        payload_type=texts[1],
        payload_sha256=texts[2],
        signatures=tuple(parsed),
        subject=_str(obj, "subject", where),
        version=version,
        prev=prev,
        integrated_at=_str(obj, "integrated_at", where),
        registry_size=registry_size,
    )


def _payload(obj: Mapping[str, object], where: str) -> tuple[bytes | None, str | None]:
    text, missing = obj.get("payload"), obj.get("missing")
    if text is None:
        if missing not in MISSING_REASONS:
            raise BundleFormatError(f"{where}: a null payload needs missing redacted or withheld")
        return None, str(missing)
    if missing is not None:
        raise BundleFormatError(f"{where}: a payload is present, so missing must be null")
    if not isinstance(text, str):
        raise BundleFormatError(f"{where}.payload is neither null nor base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True), None
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BundleFormatError(f"{where}.payload is not standard base64") from None


def _entry(obj: Mapping[str, object], log: str, where: str) -> EntryRecord:
    index = _int(obj, "index", where)
    where = f"{log} entry {index}"
    leaf_hash = _str(obj, "leaf_hash", where)
    if not _HEX64.fullmatch(leaf_hash):
        raise BundleFormatError(f"{where}.leaf_hash is not a 64-digit lowercase hex hash")
    payload, missing = _payload(obj, where)
    raw_proof = obj.get("proof")
    proof = None if raw_proof is None else _hashes(raw_proof, f"{where}.proof")
    leaf = parse_leaf(obj.get("leaf"), f"{where}.leaf")
    return EntryRecord(log, index, leaf_hash, leaf, payload, missing, proof)


def _log(obj: Mapping[str, object], log: str, where: str) -> LogRecord:
    consistency = None
    raw = obj.get("consistency")
    if raw is not None:
        if not isinstance(raw, dict):
            raise BundleFormatError(f"{where}.consistency is not an object")
        consistency = Consistency(
            _int(raw, "from_size", f"{where}.consistency"),
            _hashes(raw.get("hashes"), f"{where}.consistency.hashes"),
        )
    return LogRecord(
        log,
        _str(obj, "origin", where),
        _str(obj, "checkpoint", where),
        _opt_str(obj, "subject_map", where),
        consistency,
    )


def parse_record(obj: object, where: str) -> Record:
    """One record line, decoded; `where` names it in errors (`line 12`)."""
    if not isinstance(obj, dict):
        raise BundleFormatError(f"{where} is not a JSON object")
    kind, log = _str(obj, "record", where), _str(obj, "log", where)
    if kind == "entry":
        return _entry(obj, log, where)
    if kind == "log":
        return _log(obj, log, where)
    if kind == "range":
        start, end = _int(obj, "start", where), _int(obj, "end", where)
        if end <= start:
            raise BundleFormatError(f"{where}: range [{start}, {end}) is empty")
        return RangeRecord(log, start, end, _hashes(obj.get("hashes"), f"{where}.hashes"))
    if kind == "head":
        return HeadRecord(log, _str(obj, "subject", where), obj.get("proof"))
    raise BundleFormatError(f"{where}: record {kind!r} is not log, entry, range or head")
