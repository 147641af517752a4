"""The `jejak-bundle/1` document (legacy, until the exporter writes bundle/2): strict parsing
for the verifier, piecewise writing for exports."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from verification.failures import BundleFormatError
from verification.leaf import Leaf
from verification.nesting import MAX_NESTING, too_deep
from verification.records import LEAF2_FIELDS, parse_leaf

FORMAT = "jejak-bundle/1"
_HEX64 = re.compile("[0-9a-f]{64}")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
LEAF_FIELDS = LEAF2_FIELDS


@dataclass(frozen=True)
class BundleEntry:
    """One log entry of a bundle: its leaf, its payload (None if redacted) and its proof."""

    index: int
    leaf: Leaf
    leaf_hash: str
    payload: bytes | None
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class Consistency:
    """A consistency proof from the tree of `from_size` entries to the bundle's checkpoint."""

    from_size: int
    hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class Bundle:
    """A parsed bundle; nothing in it is trusted until the verifier has checked it."""

    origin: str
    log_key: str
    checkpoint: str
    entries: tuple[BundleEntry, ...]
    consistency: Consistency | None
    subjects: tuple[str, ...]
    as_of: str | None


def _int(obj: Mapping[str, object], name: str, where: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BundleFormatError(f"{where}.{name} is missing or not an integer")
    return value


def _str(obj: Mapping[str, object], name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise BundleFormatError(f"{where}.{name} is missing or not a string")
    return value


def _list(obj: Mapping[str, object], name: str, where: str) -> list[object]:
    value = obj.get(name)
    if not isinstance(value, list):
        raise BundleFormatError(f"{where}.{name} is missing or not a list")
    return value


def _hex32(value: object, where: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64 or value != value.lower():
        raise BundleFormatError(f"{where} is not a 64-digit lowercase hex hash")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise BundleFormatError(f"{where} is not hex") from None


def _leaf(obj: object, where: str) -> Leaf:
    """The leaf as the ledger now writes it (DESIGN §4: with `log` and `registry_size`)."""
    return parse_leaf(obj, where)


def _entry(obj: object, position: int) -> BundleEntry:
    where = f"entries[{position}]"
    if not isinstance(obj, dict):
        raise BundleFormatError(f"{where} is not an object")
    index = _int(obj, "index", where)
    if index < 0:
        raise BundleFormatError(f"{where}.index is negative")
    leaf_hash = _str(obj, "leaf_hash", where)
    _hex32(leaf_hash, f"{where}.leaf_hash")
    payload_b64 = obj.get("payload")
    payload: bytes | None = None
    if payload_b64 is not None:
        if not isinstance(payload_b64, str):
            raise BundleFormatError(f"{where}.payload is neither null nor base64 text")
        try:
            payload = base64.b64decode(payload_b64.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise BundleFormatError(f"{where}.payload is not standard base64") from None
    proof = _list(obj, "inclusion_proof", where)
    if not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in proof):
        raise BundleFormatError(f"{where}.inclusion_proof holds a non-hash")
    hashes = tuple(map(bytes.fromhex, proof))  # type: ignore[arg-type]
    leaf = _leaf(obj.get("leaf"), f"{where}.leaf")
    return BundleEntry(index, leaf, leaf_hash, payload, hashes)


def parse_bundle(obj: object) -> Bundle:
    """Check a decoded bundle's shape; raise BundleFormatError when it cannot be verified."""
    if not isinstance(obj, dict):
        raise BundleFormatError("a bundle is a JSON object")
    if obj.get("format") != FORMAT:
        raise BundleFormatError(f"format is {obj.get('format')!r}, expected {FORMAT!r}")
    origin, log_key = _str(obj, "origin", "bundle"), _str(obj, "log_key", "bundle")
    checkpoint, entries = _str(obj, "checkpoint", "bundle"), _list(obj, "entries", "bundle")
    consistency: Consistency | None = None
    raw = obj.get("consistency")
    if raw is not None:
        if not isinstance(raw, dict):
            raise BundleFormatError("bundle.consistency is not an object")
        size, hashes = _int(raw, "from_size", "consistency"), _list(raw, "hashes", "consistency")
        consistency = Consistency(
            size, tuple(_hex32(h, f"consistency.hashes[{n}]") for n, h in enumerate(hashes))
        )
    subjects = obj.get("subjects", [])
    if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
        raise BundleFormatError("bundle.subjects must be a list of subject ids")
    as_of = obj.get("as_of")
    if as_of is not None and not isinstance(as_of, str):
        raise BundleFormatError("bundle.as_of must be an instant")
    return Bundle(
        origin,
        log_key,
        checkpoint,
        tuple(_entry(item, n) for n, item in enumerate(entries)),
        consistency,
        tuple(subjects),
        as_of,
    )


def load_bundle(data: bytes) -> Bundle:
    """Parse bundle bytes (UTF-8 JSON), refusing nesting deeper than MAX_NESTING unparsed."""
    if too_deep(data):
        raise BundleFormatError(f"JSON nested deeper than {MAX_NESTING} levels")
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleFormatError(f"not JSON: {error}") from None
    if _SURROGATE_ESCAPE.search(data):  # rare: only then look for a lone one
        _refuse_lone_surrogates(obj, "bundle")
    return parse_bundle(obj)


def _refuse_lone_surrogates(obj: object, where: str) -> None:
    """JSON can spell a lone surrogate (`\\ud800`), which is no text: no leaf or note holds one."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            _refuse_lone_surrogates(key, where)
            _refuse_lone_surrogates(value, f"{where}.{key}")
    elif isinstance(obj, list):
        for n, item in enumerate(obj):
            _refuse_lone_surrogates(item, f"{where}[{n}]")
    elif isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            raise BundleFormatError(f"{where} holds a lone surrogate, not text") from None


# --- Writing, piece by piece (the server streams a bundle without holding it) -------------------


def bundle_head(
    *,
    origin: str,
    log_key: str,
    checkpoint: str,
    subjects: Sequence[str],
    as_of: str | None,
    consistency: tuple[int, Sequence[bytes]] | None,
) -> str:
    """Everything before the entries, ending inside the open `"entries": [` list."""
    head: dict[str, object] = {
        "format": FORMAT,
        "origin": origin,
        "log_key": log_key,
        "checkpoint": checkpoint,
        "subjects": list(subjects),
        "as_of": as_of,
        "consistency": None
        if consistency is None
        else {"from_size": consistency[0], "hashes": [h.hex() for h in consistency[1]]},
    }
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return text[:-1] + ',"entries":['


def bundle_entry(
    index: int, leaf_hash: str, leaf_json: str, payload_b64: str | None, proof: Iterable[bytes]
) -> str:
    """One entry's JSON text; `leaf_json` is embedded as stored, byte for byte."""
    payload = "null" if payload_b64 is None else json.dumps(payload_b64)
    hashes = ",".join(f'"{h.hex()}"' for h in proof)
    return (
        f'{{"index":{index},"leaf_hash":"{leaf_hash}","leaf":{leaf_json},'
        f'"payload":{payload},"inclusion_proof":[{hashes}]}}'
    )


BUNDLE_TAIL = "]}"
