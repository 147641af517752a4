"""Ed25519 verification of many signatures: libsodium first, OpenSSL's verdict on a refusal.

libsodium (through PyNaCl) checks a signature in about half the CPU of OpenSSL (through
`cryptography`). The two agree on well-formed signatures, and both refuse a non-canonical S
(S >= L, the malleated form), but libsodium refuses more: small-order public keys and R points,
non-canonical point encodings. The server accepts what OpenSSL accepts, so a signature libsodium
refuses is asked of OpenSSL again and OpenSSL's answer is the verdict: the result is exactly
OpenSSL's for every input, at libsodium's cost for every valid signature.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.bindings import crypto_core_ed25519_is_valid_point, crypto_sign_open
from nacl.exceptions import BadSignatureError, CryptoError

KEY_SIZE, SIGNATURE_SIZE = 32, 64


def is_strong_public_key(public_key: bytes) -> bool:
    """A canonical encoding of a point of the prime-order subgroup. A small-order key (the
    identity, say) "verifies" a forged signature for any message under OpenSSL's rules, so
    the ledger never registers one and the verifier never trusts one."""
    return len(public_key) == KEY_SIZE and bool(crypto_core_ed25519_is_valid_point(public_key))


def openssl_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """OpenSSL's verdict (`cryptography`): the reference every other path must equal."""
    if len(public_key) != KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sodium_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """libsodium's verdict alone (stricter than OpenSSL on degenerate keys and points)."""
    if len(public_key) != KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except (BadSignatureError, CryptoError, ValueError):
        return False
    return True


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True iff OpenSSL accepts the signature; libsodium answers first, OpenSSL on a refusal."""
    return sodium_verify(public_key, signature, message) or openssl_verify(
        public_key, signature, message
    )


def verify_many(jobs: Iterable[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """`verify` over (public key, signature, message) triples, in order."""
    return [verify(key, sig, message) for key, sig, message in jobs]
