"""DSSE envelopes: parsing, pre-authentication encoding and Ed25519 signature checks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from verification.ed25519 import verify
from verification.errors import MalformedEnvelopeError, TooManySignaturesError

MAX_SIGNATURES = 8
"""Signatures an envelope may carry (DESIGN §5 input bounds)."""

PAYLOAD_TYPE = "application/vnd.jejak.event+json"


@dataclass(frozen=True)
class Signature:
    """One DSSE signature: the signer's keyid ("" when the sender gave none) and the base64
    signature (standard alphabet, padded, whatever the sender used)."""

    keyid: str
    sig: str

    def as_json(self) -> dict[str, str]:
        return {"keyid": self.keyid, "sig": self.sig}


@dataclass(frozen=True)
class Envelope:
    """A parsed DSSE envelope; `payload` holds the exact signed bytes."""

    payload_type: str
    payload: bytes
    payload_b64: str
    signatures: tuple[Signature, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "payloadType": self.payload_type,
            "payload": self.payload_b64,
            "signatures": [s.as_json() for s in self.signatures],
        }

    def with_keyids(self, keyids: Sequence[str]) -> Envelope:
        """The envelope with each signature's keyid as found (DSSE's keyid is an unsigned hint)."""
        signatures = tuple(
            Signature(keyid, s.sig) for keyid, s in zip(keyids, self.signatures, strict=True)
        )
        return Envelope(self.payload_type, self.payload, self.payload_b64, signatures)


def keyid_of(public_key: bytes) -> str:
    """The keyid of a raw 32-byte Ed25519 public key: hex SHA-256 of its bytes."""
    return hashlib.sha256(public_key).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding of a payload and its type."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


_STANDARD = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _standard(text: str) -> bytes | None:
    """The bytes of `text` if it is standard padded base64 (how the ledger stores it and the
    signers send it), else None. binascii's strict mode keeps to the alphabet and the padding
    but lets more "=" follow a full group ("QUJD="), which the length and the position of the
    "=" rule out."""
    if not isinstance(text, str) or len(text) % 4 or text.find("=", 0, len(text) - 2) >= 0:
        return None
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def b64decode_dsse(text: str, what: str) -> bytes:
    """Decode base64 as DSSE allows it: the standard or the URL-safe alphabet (not mixed),
    padded or not; anything else is a MalformedEnvelopeError."""
    raw = _standard(text)
    return _b64decode_any(text, what) if raw is None else raw


def _b64decode_any(text: str, what: str) -> bytes:
    if _STANDARD.fullmatch(text):
        alphabet = b"+/"
    elif _URL_SAFE.fullmatch(text):
        alphabet = b"-_"
    else:
        raise MalformedEnvelopeError(f"{what} is not base64 (standard or URL-safe)")
    bare = text.rstrip("=")
    if len(bare) % 4 == 1 or (text != bare and len(text) % 4 != 0):
        raise MalformedEnvelopeError(f"{what} is not base64: wrong length or padding")
    padded = bare + "=" * (-len(bare) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedEnvelopeError(f"{what} is not base64") from None


def _decoded(text: str, what: str) -> tuple[bytes, str]:
    """`text` decoded as `b64decode_dsse` does, and in standard padded base64 (`as_standard`)."""
    raw = _standard(text)
    if raw is not None:
        return raw, text
    raw = _b64decode_any(text, what)
    return raw, as_standard(text, raw)


def as_standard(text: str, raw: bytes) -> str:
    """`text` (which decodes to `raw`) in standard padded base64, how the ledger stores it;
    text already in that form is kept as sent, so stored envelopes read back unchanged."""
    if _STANDARD.fullmatch(text) and len(text) % 4 == 0:
        return text
    return base64.b64encode(raw).decode("ascii")


def _keyid(item: Mapping[str, object], position: int) -> str:
    """A signature's keyid: 64 lowercase hex digits, or "" when absent (DSSE: optional)."""
    keyid = item.get("keyid")
    if keyid is None or keyid == "":
        return ""
    if not isinstance(keyid, str) or len(keyid) != 64:
        raise MalformedEnvelopeError(f"signatures[{position}].keyid is not a 64-hex keyid")
    try:
        bytes.fromhex(keyid)
    except ValueError:
        raise MalformedEnvelopeError(f"signatures[{position}].keyid is not hex") from None
    if keyid != keyid.lower():
        raise MalformedEnvelopeError(f"signatures[{position}].keyid must be lowercase hex")
    return keyid


def parse_envelope(obj: object) -> Envelope:
    """Check the shape of a decoded DSSE envelope and decode its payload; base64 comes back
    in the standard alphabet, so equal envelopes compare (and hash) equal however sent."""
    if not isinstance(obj, Mapping):
        raise MalformedEnvelopeError("an envelope must be a JSON object")
    payload_type = obj.get("payloadType")
    payload_b64 = obj.get("payload")
    signatures = obj.get("signatures")
    if not isinstance(payload_type, str):
        raise MalformedEnvelopeError("payloadType is missing or not a string")
    if not isinstance(payload_b64, str):
        raise MalformedEnvelopeError("payload is missing or not a string")
    if not isinstance(signatures, Sequence) or isinstance(signatures, str) or not signatures:
        raise MalformedEnvelopeError("signatures must be a non-empty list")
    if len(signatures) > MAX_SIGNATURES:
        raise TooManySignaturesError(
            f"signatures: at most {MAX_SIGNATURES} signatures are accepted, not {len(signatures)}"
        )
    parsed: list[Signature] = []
    for position, item in enumerate(signatures):
        if not isinstance(item, Mapping):
            raise MalformedEnvelopeError(f"signatures[{position}] is not an object")
        keyid, sig = _keyid(item, position), item.get("sig")
        if not isinstance(sig, str):
            raise MalformedEnvelopeError(f"signatures[{position}].sig is not a string")
        raw, standard = _decoded(sig, f"signatures[{position}].sig")
        if len(raw) != 64:
            raise MalformedEnvelopeError(f"signatures[{position}].sig is not a 64-byte signature")
        parsed.append(Signature(keyid=keyid, sig=standard))
    payload, payload_standard = _decoded(payload_b64, "payload")
    return Envelope(payload_type, payload, payload_standard, tuple(parsed))


def parse_envelope_json(body: bytes) -> Envelope:
    """Parse an envelope from JSON bytes."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedEnvelopeError("the body is not JSON") from None
    return parse_envelope(obj)


def signature_valid(public_key: bytes, envelope: Envelope, signature: Signature) -> bool:
    """Whether `signature` is a valid Ed25519 signature by `public_key` over the PAE: OpenSSL's
    verdict, at libsodium's cost when the signature is good (`verification.ed25519`)."""
    try:
        raw = base64.b64decode(signature.sig)
    except ValueError:
        return False
    return verify(public_key, raw, pae(envelope.payload_type, envelope.payload))
