"""libsodium and OpenSSL on Ed25519: RFC 8032 vectors, malleated and degenerate signatures."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.dsse import PAYLOAD_TYPE, Envelope, Signature, pae, signature_valid
from verification.ed25519 import openssl_verify, sodium_verify, verify, verify_many

L = 2**252 + 27742317777372353535851937790883648493
"""The order of the Ed25519 base point: a signature's S must be below it (RFC 8032 §5.1.7)."""

# RFC 8032 §7.1, TEST 1-3: (secret key, public key, message, signature)
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]
VECTORS = [tuple(bytes.fromhex(h) for h in vector) for vector in RFC8032]
IDENTITY = bytes([1]) + bytes(31)
"""The neutral point's encoding: a small-order public key OpenSSL takes and libsodium refuses."""


def _malleated(signature: bytes) -> bytes:
    """The same signature with S + L for S: equal modulo L, refused as non-canonical."""
    s = int.from_bytes(signature[32:], "little") + L
    return signature[:32] + s.to_bytes(32, "little")


@pytest.mark.parametrize(("secret", "public", "message", "signature"), VECTORS)
def test_rfc8032_vectors_verify_on_both_libraries(
    secret: bytes, public: bytes, message: bytes, signature: bytes
) -> None:
    private = Ed25519PrivateKey.from_private_bytes(secret)
    assert private.public_key().public_bytes_raw() == public
    assert private.sign(message) == signature
    assert openssl_verify(public, signature, message)
    assert sodium_verify(public, signature, message)
    assert verify(public, signature, message)


@pytest.mark.parametrize(("secret", "public", "message", "signature"), VECTORS)
def test_malleated_signature_is_refused_by_both_libraries(
    secret: bytes, public: bytes, message: bytes, signature: bytes
) -> None:
    malleated = _malleated(signature)
    assert malleated != signature
    assert not openssl_verify(public, malleated, message)
    assert not sodium_verify(public, malleated, message)
    assert not verify(public, malleated, message)


@pytest.mark.parametrize(("secret", "public", "message", "signature"), VECTORS)
def test_changed_message_is_refused(
    secret: bytes, public: bytes, message: bytes, signature: bytes
) -> None:
    assert not verify(public, signature, message + b"\x00")
    assert not verify(public, signature[:-1] + bytes([signature[-1] ^ 1]), message)


def test_small_order_key_gets_openssls_verdict_not_libsodiums() -> None:
    # R = identity, S = 0 satisfies [S]B = R + [k]A for A = identity, whatever the message.
    signature = IDENTITY + bytes(32)
    assert not sodium_verify(IDENTITY, signature, b"any message")
    assert openssl_verify(IDENTITY, signature, b"any message")
    assert verify(IDENTITY, signature, b"any message")


@pytest.mark.parametrize(
    ("key", "signature"),
    [(bytes(31), bytes(64)), (bytes(32), bytes(63)), (bytes(33), bytes(64)), (b"", b"")],
)
def test_wrong_sizes_are_refused_not_raised(key: bytes, signature: bytes) -> None:
    assert verify_many([(key, signature, b"m")]) == [False]


@settings(deadline=None)  # a shared, loaded machine: no timing in tests
@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(max_size=200),
    flip=st.none() | st.integers(min_value=0, max_value=64 * 8 - 1),
    malleate=st.booleans(),
)
def test_verdict_equals_openssl_on_generated_signatures(
    seed: bytes, message: bytes, flip: int | None, malleate: bool
) -> None:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes_raw()
    signature = bytearray(private.sign(message))
    if flip is not None:
        signature[flip // 8] ^= 1 << (flip % 8)
    sig = _malleated(bytes(signature)) if malleate else bytes(signature)
    expected = openssl_verify(public, sig, message)
    assert sodium_verify(public, sig, message) == expected  # they agree off degenerate keys
    assert verify(public, sig, message) == expected
    assert expected == (flip is None and not malleate)


def test_the_envelope_signature_check_gives_openssls_verdict_on_each_kind_of_signature() -> None:
    key = Ed25519PrivateKey.from_private_bytes(VECTORS[1][0])
    public = VECTORS[1][1]
    envelope = Envelope(PAYLOAD_TYPE, b'{"type":"x"}', "eyJ0eXBlIjoieCJ9", ())
    message = pae(envelope.payload_type, envelope.payload)
    good = key.sign(message)
    cases = [
        (public, good),
        (public, _malleated(good)),
        (public, good[:-1] + bytes([good[-1] ^ 1])),
        (IDENTITY, IDENTITY + bytes(32)),  # the small-order forgery OpenSSL accepts
        (public, good[:63]),
    ]
    verdicts = [
        signature_valid(k, envelope, Signature("k", base64.b64encode(s).decode())) for k, s in cases
    ]
    assert verdicts == [openssl_verify(k, s, message) for k, s in cases]
    assert verdicts == [True, False, False, True, False]
    assert not signature_valid(public, envelope, Signature("k", "not base64!"))
