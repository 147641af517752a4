"""One Ed25519 signature to check: what the verifier hands to its checking processes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignatureJob:
    """One signature to check, tagged with the entry index and keyid it belongs to."""

    index: int
    keyid: str
    public_key: bytes
    signature: bytes
    message: bytes
