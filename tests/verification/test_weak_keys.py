"""A small-order Ed25519 key "verifies" forged signatures: never registered, never trusted."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from domain.events import OPERATOR, keyid_of, parse_payload
from ledger.bootstrap import Runtime
from ledger.errors import EnvelopeRejectedError
from tests.domain.builders import payload
from verification.dsse import Signature
from verification.ed25519 import is_strong_public_key, openssl_verify
from verification.failures import KeyNotRegisteredError
from verification.keyring import Keyring

IDENTITY = bytes([1]) + bytes(31)
FORGED = IDENTITY + bytes(32)  # R = identity, S = 0: OpenSSL takes it for any message


def test_the_identity_key_verifies_a_forgery_under_openssl_and_is_not_strong() -> None:
    assert openssl_verify(IDENTITY, FORGED, b"any message at all")
    assert not is_strong_public_key(IDENTITY)
    assert not is_strong_public_key(bytes(32))


def test_the_ledger_refuses_to_register_a_small_order_key(runtime: Runtime) -> None:
    runtime.operator.add_org("kab-weak", "agency", "Kab Weak")
    size = runtime.logs.registry.size
    with pytest.raises(EnvelopeRejectedError, match="small-order"):
        runtime.operator.add_key("kab-weak", base64.b64encode(IDENTITY).decode(), None)
    assert runtime.logs.registry.size == size


def test_the_verifier_never_trusts_a_registered_small_order_key() -> None:
    keyid = keyid_of(IDENTITY)
    registration = parse_payload(
        payload(
            "key.registered",
            f"key:{keyid}",
            {
                "org": OPERATOR,
                "public_key": base64.b64encode(IDENTITY).decode(),
                "holder": None,
                "valid_from": "2026-01-01T00:00:00Z",
            },
            agency=OPERATOR,
            actor=OPERATOR,
        )
    )
    keyring = Keyring()
    keyring.learn(1, registration)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    signature = (Signature(keyid, "AA=="),)
    failure = keyring.check(2, registration, at, signature, size=2)
    assert isinstance(failure, KeyNotRegisteredError)
    assert "small-order" in str(failure)
    assert keyring.public_key(keyid, 2, None) is None
