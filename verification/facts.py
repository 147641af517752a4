"""What one entry's own bytes establish, whatever came before it: leaf and payload hashes, the
event, and its signatures checked against the keys known so far.

`precheck` is a pure function of the entry record (and of the public keys it is given), so it
runs in the pool's worker processes (verification/pool.py) as well as inline; the checks that
depend on earlier entries (order, chains, inclusion and ranges, the key rules, the replay) stay
in `LogEntries.check`, which uses these facts in the same order either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.event_data import OPERATOR_EVENTS
from domain.events import OPERATOR, Event
from verification.canonical import leaf_canonical
from verification.dsse import b64decode_dsse, pae
from verification.ed25519 import verify
from verification.errors import MalformedEnvelopeError
from verification.failures import (
    FailedCheckError,
    LeafHashMismatchError,
    LeafLogError,
    PayloadHashMismatchError,
    SubjectMismatchError,
)
from verification.leaf import parse_instant
from verification.merkle import leaf_hash as merkle_leaf_hash
from verification.payloads import parse_event
from verification.records import EntryRecord

KeyOf = Callable[[str], bytes | None]
"""The public key registered under a keyid so far (None: not known yet)."""


@dataclass
class Facts:
    """An entry's own checks: the failures they found (in the order the verifier reports them)
    and what the sequential checks and the replay need of the entry."""

    leaf_hash: bytes  # as computed from the leaf
    leaf_failures: list[FailedCheckError]  # leaf hash and the leaf's log
    at: datetime | None  # integrated_at; None when it does not parse (`at_error` says why)
    at_error: str | None
    payload_failures: list[FailedCheckError]  # payload hash, unreadable payload, event fits
    event: Event | None
    signatures: tuple[bytes, ...]  # each decoded (b"" when not base64)
    verdicts: tuple[tuple[bytes, bool] | None, ...]  # per signature: (key used, verified)
    message: bytes | None  # the PAE, kept when some signature had no key here

    def verified(self, n: int, public_key: bytes) -> bool:
        """Whether signature `n` verifies under `public_key` (checked here if not before)."""
        known = self.verdicts[n]
        if known is not None and known[0] == public_key:
            return known[1]
        if self.message is None:
            raise RuntimeError(f"signature {n} was checked with another key and its PAE dropped")
        return verify(public_key, self.signatures[n], self.message)


def _signature(sig: str) -> bytes:
    try:
        return b64decode_dsse(sig, "sig")
    except MalformedEnvelopeError:
        return b""


def precheck(record: EntryRecord, key_of: KeyOf) -> Facts:
    """The checks of `record` that read nothing but the record (and the keys `key_of` knows)."""
    index, leaf = record.index, record.leaf
    computed = merkle_leaf_hash(leaf_canonical(leaf))
    leaf_failures: list[FailedCheckError] = []
    if computed.hex() != record.leaf_hash:
        leaf_failures.append(
            LeafHashMismatchError(index, "leaf hash", computed.hex(), record.leaf_hash)
        )
    if leaf.log != record.log:
        leaf_failures.append(LeafLogError(index, f"the leaf names log {leaf.log!r}"))
    at: datetime | None = None
    at_error = None
    try:
        at = parse_instant(leaf.integrated_at)
    except ValueError as error:
        at_error = f"log {record.log} entry {index}: integrated_at: {error}"
    facts = Facts(computed, leaf_failures, at, at_error, [], None, (), (), None)
    if record.payload is not None:
        _payload(record, record.payload, key_of, facts)
    return facts


def _payload(record: EntryRecord, payload: bytes, key_of: KeyOf, facts: Facts) -> None:
    index, leaf, failures = record.index, record.leaf, facts.payload_failures
    digest = hashlib.sha256(payload).hexdigest()
    if digest != leaf.payload_sha256:
        failures.append(
            PayloadHashMismatchError(index, "payload sha256", leaf.payload_sha256, digest)
        )
    event = parse_event(index, payload, failures)
    if event is not None:
        _event_fits(record, event, failures)
    facts.event = event
    message = pae(leaf.payload_type, payload)
    signatures = tuple(_signature(signature.sig) for signature in leaf.signatures)
    verdicts: list[tuple[bytes, bool] | None] = []
    for signature, sig in zip(leaf.signatures, signatures, strict=True):
        public_key = key_of(signature.keyid)
        verdicts.append(
            None if public_key is None else (public_key, verify(public_key, sig, message))
        )
    facts.signatures, facts.verdicts = signatures, tuple(verdicts)
    facts.message = message if None in verdicts else None


def _event_fits(record: EntryRecord, event: Event, failures: list[FailedCheckError]) -> None:
    index, registry = record.index, record.log == OPERATOR
    if event.subject != record.leaf.subject:
        failures.append(
            SubjectMismatchError(
                index,
                f"the payload's subject {event.subject!r} is not the leaf's "
                f"{record.leaf.subject!r}",
            )
        )
    if registry and event.type not in OPERATOR_EVENTS:
        failures.append(LeafLogError(index, f"a {event.type} is no registry event"))
    elif not registry and event.agency != record.log:
        failures.append(
            LeafLogError(index, f"the payload's agency {event.agency!r} is not the log")
        )
