"""DSSE envelopes: parsing, pre-authentication encoding and Ed25519 signature checks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verification.errors import MalformedEnvelopeError

PAYLOAD_TYPE = "application/vnd.jejak.event+json"


@dataclass(frozen=True)
class Signature:
    """One DSSE signature: the signer's keyid and the base64 signature as sent."""

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


def keyid_of(public_key: bytes) -> str:
    """The keyid of a raw 32-byte Ed25519 public key: hex SHA-256 of its bytes."""
    return hashlib.sha256(public_key).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding of a payload and its type."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def b64decode_strict(text: str, what: str) -> bytes:
    """Decode standard base64 (padding required), refusing anything else."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedEnvelopeError(f"{what} is not standard base64") from None


def parse_envelope(obj: object) -> Envelope:
    """Check the shape of a decoded DSSE envelope and decode its payload."""
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
    if len(signatures) > 8:
        raise MalformedEnvelopeError("at most 8 signatures are accepted")
    parsed: list[Signature] = []
    for position, item in enumerate(signatures):
        if not isinstance(item, Mapping):
            raise MalformedEnvelopeError(f"signatures[{position}] is not an object")
        keyid, sig = item.get("keyid"), item.get("sig")
        if not isinstance(keyid, str) or len(keyid) != 64:
            raise MalformedEnvelopeError(f"signatures[{position}].keyid is not a 64-hex keyid")
        try:
            bytes.fromhex(keyid)
        except ValueError:
            raise MalformedEnvelopeError(f"signatures[{position}].keyid is not hex") from None
        if keyid != keyid.lower():
            raise MalformedEnvelopeError(f"signatures[{position}].keyid must be lowercase hex")
        if not isinstance(sig, str):
            raise MalformedEnvelopeError(f"signatures[{position}].sig is not a string")
        if len(b64decode_strict(sig, f"signatures[{position}].sig")) != 64:
            raise MalformedEnvelopeError(f"signatures[{position}].sig is not a 64-byte signature")
        parsed.append(Signature(keyid=keyid, sig=sig))
    payload = b64decode_strict(payload_b64, "payload")
    return Envelope(payload_type, payload, payload_b64, tuple(parsed))


def parse_envelope_json(body: bytes) -> Envelope:
    """Parse an envelope from JSON bytes."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedEnvelopeError("the body is not JSON") from None
    return parse_envelope(obj)


def signature_valid(public_key: bytes, envelope: Envelope, signature: Signature) -> bool:
    """Whether `signature` is a valid Ed25519 signature by `public_key` over the PAE."""
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(base64.b64decode(signature.sig), pae(envelope.payload_type, envelope.payload))
    except (InvalidSignature, ValueError):
        return False
    return True
