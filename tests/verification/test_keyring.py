"""The registry as of a prefix: an entry's keys are judged on its first `registry_size` entries."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from domain.events import OPERATOR, Event, keyid_of, parse_payload
from tests.domain.builders import AGENCY, HEAD, payload, policy_data
from tests.verification.bundle2_builder import Signer
from verification.dsse import Signature
from verification.failures import (
    KeyNotRegisteredError,
    KeyRegisteredLaterError,
    KeyRevokedBeforeEntryError,
)
from verification.keyring import Keyring

AT = datetime(2026, 12, 1, tzinfo=UTC)
KEY = Signer("kab-a-key")
IDENTITY = bytes([1]) + bytes(31)


def operator_event(type: str, subject: str, data: dict[str, object]) -> Event:
    return parse_payload(payload(type, subject, data, agency=OPERATOR, actor=OPERATOR))


def agency_event() -> Event:
    return parse_payload(payload("policy.enacted", f"policy:{AGENCY}", policy_data(), actor=HEAD))


def keyring() -> Keyring:
    ring = Keyring()
    ring.learn(1, operator_event("org.registered", AGENCY, {"kind": "agency", "name": "A"}))
    ring.learn(2, operator_event("key.registered", f"key:{KEY.keyid}", KEY.key_data(AGENCY)))
    revoke: dict[str, object] = {"effective_at": "2026-11-01T00:00:00Z", "reason": "hilang"}
    ring.learn(5, operator_event("key.revoked", f"key:{KEY.keyid}", revoke))
    return ring


def check(ring: Keyring, size: int, keyid: str = KEY.keyid) -> object:
    return ring.check(9, None, AT, (Signature(keyid, ""),), size)


def test_a_key_counts_from_the_entry_after_its_registration() -> None:
    ring = keyring()
    assert isinstance(check(ring, 2), KeyRegisteredLaterError)
    assert check(ring, 3) is None


def test_a_revocation_counts_only_inside_the_prefix() -> None:
    ring = keyring()
    assert check(ring, 5) is None  # the writer had not seen the revocation
    assert isinstance(check(ring, 6), KeyRevokedBeforeEntryError)


def test_an_organisation_counts_only_inside_the_prefix() -> None:
    ring = keyring()
    assert ring.org(AGENCY, 1) is None
    assert ring.org(AGENCY, 2) is not None
    assert ring.org(OPERATOR, 0) is not None


def test_an_unknown_key_is_not_registered() -> None:
    assert isinstance(check(keyring(), 9, "ab" * 32), KeyNotRegisteredError)


def test_a_registered_small_order_key_is_never_trusted() -> None:
    ring = keyring()
    weak = keyid_of(IDENTITY)
    data: dict[str, object] = {
        "org": AGENCY,
        "public_key": base64.b64encode(IDENTITY).decode(),
        "holder": None,
        "valid_from": "2026-01-01T00:00:00Z",
    }
    ring.learn(6, operator_event("key.registered", f"key:{weak}", data))
    failure = check(ring, 7, weak)
    assert isinstance(failure, KeyNotRegisteredError)
    assert "small-order" in str(failure)
    assert ring.public_key(weak, 7, None) is None


def test_the_genesis_key_signs_its_own_registration() -> None:
    operator = Signer("operator")
    genesis = operator_event("key.registered", f"key:{operator.keyid}", operator.key_data(OPERATOR))
    ring = Keyring()
    assert ring.public_key(operator.keyid, 0, genesis) == operator.raw
    assert ring.check(0, genesis, AT, (Signature(operator.keyid, ""),), 0, genesis) is None
    assert ring.public_key(operator.keyid, 0, agency_event()) is None
