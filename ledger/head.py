"""The writer's view of one log: subject chains, payload index, tree edge and domain state."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import ChainMap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

from domain.entry import Entry
from domain.errors import Refusal, UnknownKey
from domain.events import Event, parse_payload
from domain.flags import Flag
from domain.registry import RegistryState
from domain.state import LedgerState
from ledger.errors import (
    DuplicatePayloadError,
    LedgerCorruptedError,
    LedgerError,
    SignatureRejectedError,
    StoreConflictError,
)
from ledger.records import EntryRecorded, EntryRow, stream_id
from ledger.signers import check_key_rules
from ledger.snapshot import StateRows
from ledger.store import StoredPayload
from ledger.tree import Node, append_leaves, root_of
from verification.canonical import leaf_canonical
from verification.dsse import Envelope, keyid_of, parse_envelope, signature_valid
from verification.leaf import Leaf, parse_instant
from verification.merkle import leaf_hash as merkle_leaf_hash
from verification.subject_map import SubjectHead

PAYLOAD_CACHE = 10_000
"""Payload digests a head remembers (the latest entries'): a resubmission of an older one is
answered from the store's unique index instead (`LogHead.integrate`)."""

HeadLoader = Callable[[str], "tuple[int, bytes] | None"]
"""A subject's head (version, leaf hash) as of the head's committed size (the subject map)."""
PayloadLookup = Callable[[Iterable[bytes]], dict[bytes, StoredPayload]]
"""Where payload digests are recorded in the log's store."""


@dataclass(frozen=True)
class Submission:
    """An envelope whose shape and payload were checked, ready for the writer."""

    envelope: Envelope
    event: Event
    verified: frozenset[str]
    payload_sha256: bytes
    envelope_sha256: bytes

    @classmethod
    def of(cls, envelope: Envelope, event: Event, verified: frozenset[str]) -> Submission:
        return cls(envelope, event, verified, payload_digest(envelope), envelope_digest(envelope))


def compact_json(value: dict[str, object]) -> str:
    """Compact JSON text (orjson; the stdlib for what orjson refuses, a lone surrogate). Only
    parsed back, never hashed: the payload inside is base64 of the exact signed bytes."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"))


def payload_digest(envelope: Envelope) -> bytes:
    """SHA-256 of the signed payload bytes: the same event however it is enveloped."""
    return hashlib.sha256(envelope.payload).digest()


def envelope_digest(envelope: Envelope) -> bytes:
    """SHA-256 over the type, payload and signatures: what an exact resubmission repeats."""
    digest = hashlib.sha256(envelope.payload_type.encode() + b"\n" + envelope.payload)
    for signature in envelope.signatures:
        digest.update(b"\n" + signature.keyid.encode() + b" " + signature.sig.encode())
    return digest.digest()


@dataclass(frozen=True)
class Outcome:
    """Where a submission landed: a new entry, or the entry it exactly repeats."""

    index: int
    created: bool
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class NewEntry:
    """An entry integrated in memory and waiting for its transaction."""

    event: EntryRecorded
    row: EntryRow


class LogHead:
    """Everything a log's writer needs to integrate the next entry; forkable like the domain
    state.

    The registry log's head (`registry=None`) folds a `RegistryState`; an agency log's head
    folds `LedgerState(log, registry)` and decides each entry's keys on the registry as it
    stands when the entry is integrated, recording that size in the leaf (`registry_size`).

    A writer's head keeps a bounded working set (docs/architecture.md, "Working set and
    snapshots"): its state's values behind a cache over the store's rows (`rows`), the heads of
    the subjects of a group in flight only (the committed ones are the subject map's, `heads`),
    and the latest entries' payload digests (older ones are looked up, `lookup`)."""

    state: LedgerState | RegistryState

    def __init__(
        self,
        log: str,
        registry: RegistryState | None = None,
        parent: LogHead | None = None,
        *,
        state: LedgerState | RegistryState | None = None,
        heads: HeadLoader | None = None,
        lookup: PayloadLookup | None = None,
    ) -> None:
        """A root head (no `parent`) folds into `state` (default: a state in memory from entry
        0); with `heads` its committed subjects' heads are read from the subject map instead
        of kept, and with `lookup` a payload it no longer remembers is looked up in the store
        when the rules refuse its submission."""
        self.parent = parent
        self.log = log
        self.registry = registry
        if parent is None:
            if state is None:
                state = (
                    RegistryState()
                    if registry is None
                    else LedgerState(log, registry, keep_steps=True)
                )
            self.state = state
            self.rows: StateRows | None = None  # the loader of an agency log's state rows
            self.heads = heads
            self.lookup = lookup
            self.subjects: ChainMap[str, tuple[int, str]] = ChainMap()
            self.payloads: ChainMap[bytes, tuple[int, bytes]] = ChainMap()
            self.frontier: tuple[Node, ...] = ()
            self.size = 0
            self.last_at: datetime | None = None
        else:
            self.state = parent.state.fork()
            self.rows = parent.rows
            self.heads, self.lookup = parent.heads, parent.lookup
            self.subjects = parent.subjects.new_child()
            self.payloads = parent.payloads.new_child()
            self.frontier = parent.frontier
            self.size = parent.size
            self.last_at = parent.last_at
        self.new_entries: list[NewEntry] = []
        self.new_nodes: list[Node] = []

    def resume(self, size: int, frontier: tuple[Node, ...], last_at: datetime | None) -> None:
        """Stand this root head at a snapshot's size (its state resumed there already)."""
        self.size, self.frontier, self.last_at = size, tuple(frontier), last_at

    def fork(self) -> LogHead:
        return LogHead(self.log, self.registry, self)

    @property
    def keys(self) -> RegistryState:
        """The registry whose keys sign this log's entries (for the registry log: itself)."""
        if self.registry is not None:
            return self.registry
        assert isinstance(self.state, RegistryState)
        return self.state

    def registry_size(self) -> int:
        """The registry prefix a new entry's keys are decided on (0 in the registry log)."""
        return 0 if self.registry is None else self.registry.size

    def commit(self) -> None:
        """Merge this fork's entries into its parent."""
        parent = self.parent
        if parent is None:
            raise LedgerError("the root log head has no parent to commit into")
        self.state.commit()
        parent.subjects.maps[0].update(self.subjects.maps[0])
        parent.payloads.maps[0].update(self.payloads.maps[0])
        if parent.parent is None:
            parent._bound_payloads()
        parent.frontier, parent.size, parent.last_at = self.frontier, self.size, self.last_at
        if parent.parent is not None:  # the root head keeps no pending rows: they are stored
            parent.new_entries += self.new_entries
            parent.new_nodes += self.new_nodes

    def _bound_payloads(self) -> None:
        remembered = self.payloads.maps[0]
        while len(remembered) > PAYLOAD_CACHE:
            del remembered[next(iter(remembered))]  # the oldest entry's

    def remember_payloads(self, found: dict[bytes, StoredPayload]) -> None:
        """Payloads the store holds at these entries (a resubmission the cache had forgotten)."""
        remembered = self.payloads.maps[-1]
        for digest, stored in found.items():
            remembered[digest] = (stored.index, b"" if stored.redacted else stored.envelope_sha256)
        self._bound_payloads()

    def settle_heads(self) -> None:
        """The subject map holds the committed heads now: forget them here (root head)."""
        if self.heads is not None:
            self.subjects.maps[-1].clear()

    def head_of(self, subject: str) -> tuple[int, str | None]:
        """The subject's head (version, leaf hash hex) as this head stands; (0, None): none."""
        found = self.subjects.get(subject)
        if found is not None:
            return found
        if self.heads is not None:
            stored = self.heads(subject)
            if stored is not None:
                return stored[0], stored[1].hex()
        return 0, None

    def _stored_size(self) -> int:
        head = self
        while head.parent is not None:
            head = head.parent
        return head.size

    @property
    def root(self) -> bytes:
        return root_of(self.frontier)

    def new_heads(self) -> list[SubjectHead]:
        """This fork's subjects with their new heads (subject, version, leaf hash)."""
        return [(s, v, bytes.fromhex(h)) for s, (v, h) in self.subjects.maps[0].items()]

    def public_key(self, keyid: str, event: Event) -> bytes | None:
        """A signer's key: from the registry, or for the genesis entry from its own payload."""
        key = self.keys.public_key(keyid)
        if (
            key is None
            and self.registry is None
            and self.size == 0
            and event.type == "key.registered"
        ):
            raw = event.payload.get("data")
            candidate = raw.get("public_key") if isinstance(raw, dict) else None
            if isinstance(candidate, str):
                decoded = base64.b64decode(candidate)
                if keyid_of(decoded) == keyid:
                    return decoded
        return key

    def check_signatures(self, submission: Submission, at: datetime) -> tuple[str, ...]:
        """Every signature verifies by a registered key that may sign this entry at `at`
        (DESIGN §5); the genesis entry's by the key it registers. UnknownKey otherwise."""
        event = submission.event
        for signature in submission.envelope.signatures:
            key = self.public_key(signature.keyid, event)
            if key is None:
                raise UnknownKey(f"key {signature.keyid} is not registered")
            if signature.keyid not in submission.verified and not signature_valid(
                key, submission.envelope, signature
            ):
                raise SignatureRejectedError(
                    f"the signature by key {signature.keyid} does not verify", signature.keyid
                )
            if self.registry is not None:  # every signature, on the prefix the leaf names
                check_key_rules(
                    self.registry.view(self.registry_size()), signature.keyid, event, at
                )
            elif self.size > 0 or self.keys.key(signature.keyid):
                check_key_rules(self.keys, signature.keyid, event, at)
        return tuple(s.keyid for s in submission.envelope.signatures)

    def integrate(self, submission: Submission, at: datetime) -> Outcome:
        """Check one submission against the rules and, if accepted, add it as the next entry."""
        seen = self.payloads.get(submission.payload_sha256)
        if seen is not None:
            return self._resubmitted(submission, *seen)
        if self.rows is not None and self.head_of(submission.event.subject)[0] == 0:
            assert isinstance(self.state, LedgerState)
            self.state.known_absent(submission.event.subject)  # a new subject: no reads
        try:
            keyids = self.check_signatures(submission, at)
            registry_size = self.registry_size()
            entry = Entry(self.size, submission.event, keyids, at, registry_size)
            flags = self.state.record(entry).flags
        except StoreConflictError:
            raise  # the state's rows moved: the whole group is retried
        except (Refusal, LedgerError):
            stored = self._stored_payload(submission.payload_sha256)
            if stored is None:
                raise
            return self._resubmitted(submission, *stored)
        self._add(submission, at, registry_size)
        return Outcome(self.size - 1, created=True, flags=flags)

    def _stored_payload(self, digest: bytes) -> tuple[int, bytes] | None:
        """A refused payload that an older entry recorded, which the cache forgot: an exact
        resubmission is answered as before, not refused (one lookup, only on a refusal).
        Indexes past this head's stored size are another writer's: not answered on them."""
        if self.lookup is None:
            return None
        found = self.lookup([digest]).get(digest)
        if found is None or found.index >= self._stored_size():
            return None
        return found.index, b"" if found.redacted else found.envelope_sha256

    @staticmethod
    def _resubmitted(submission: Submission, index: int, envelope_sha256: bytes) -> Outcome:
        if envelope_sha256 == submission.envelope_sha256:
            return Outcome(index, created=False)
        raise DuplicatePayloadError(
            f"this payload was recorded at index {index} with other signatures", index
        )

    def _add(self, submission: Submission, at: datetime, registry_size: int) -> None:
        subject = submission.event.subject
        version, prev = self.head_of(subject)
        leaf = Leaf.for_envelope(
            submission.envelope,
            log=self.log,
            registry_size=registry_size,
            subject=subject,
            version=version + 1,
            prev=prev,
            integrated_at=at,
        )
        canonical = leaf_canonical(leaf)
        leaf_hash = merkle_leaf_hash(canonical)
        stream = stream_id(self.log, subject)
        event = EntryRecorded(
            originator_id=stream,
            originator_version=version + 1,
            timestamp=at,
            index=self.size,
            envelope_json=compact_json(submission.envelope.as_json()),
            leaf_json=canonical.decode(),
            leaf_hash=leaf_hash.hex(),
        )
        row = EntryRow(
            self.size, stream, version + 1, submission.payload_sha256, submission.envelope_sha256
        )
        self.new_entries.append(NewEntry(event, row))
        self._remember(
            subject,
            version + 1,
            leaf_hash,
            submission.payload_sha256,
            submission.envelope_sha256,
            at,
        )

    def _remember(
        self,
        subject: str,
        version: int,
        leaf_hash: bytes,
        payload_sha256: bytes,
        envelope_sha256: bytes,
        at: datetime,
    ) -> None:
        self.subjects[subject] = (version, leaf_hash.hex())
        self.payloads[payload_sha256] = (self.size, envelope_sha256)
        if self.parent is None:  # a replay: keep the latest entries' only
            self._bound_payloads()
        frontier, nodes = append_leaves(self.frontier, [leaf_hash])
        self.frontier = tuple(frontier)
        self.new_nodes += nodes
        self.size += 1
        self.last_at = at

    def replay(self, stored: EntryRecorded) -> SubjectHead:
        """Apply an entry read back from the store, checking that it is the one expected;
        answer its subject's new head (the subject map's input)."""
        if stored.index != self.size:
            raise LedgerCorruptedError(
                f"entry {stored.index} read where entry {self.size} was expected"
            )
        if stored.payload_b64 is None:
            return self._replay_redacted(stored)
        envelope = parse_envelope(stored.envelope)
        event = parse_payload(envelope.payload)
        leaf = Leaf.from_json(stored.leaf)
        leaf_hash = merkle_leaf_hash(stored.leaf_json.encode())
        version, prev = self.head_of(event.subject)
        registry_size = self._known_registry_size(stored.index, leaf)
        expected = Leaf.for_envelope(
            envelope,
            log=self.log,
            registry_size=0 if self.registry is None else registry_size,
            subject=event.subject,
            version=version + 1,
            prev=prev,
            integrated_at=parse_instant(leaf.integrated_at),
        )
        if expected != leaf or leaf_hash.hex() != stored.leaf_hash:
            raise LedgerCorruptedError(
                f"entry {stored.index}: its leaf does not match its envelope"
            )
        at = parse_instant(leaf.integrated_at)
        keyids = tuple(s.keyid for s in envelope.signatures)
        entry = Entry(self.size, event, keyids, at, registry_size)
        if isinstance(self.state, LedgerState):
            self.state.refold(entry)  # after a redaction, what rested on it is unknown
        else:
            self.state.record(entry)
        self._remember(
            event.subject,
            version + 1,
            leaf_hash,
            payload_digest(envelope),
            envelope_digest(envelope),
            at,
        )
        self.new_nodes.clear()
        return event.subject, version + 1, leaf_hash

    def _known_registry_size(self, index: int, leaf: Leaf) -> int:
        registry_size = leaf.registry_size
        if self.registry is not None and registry_size > self.registry.size:
            raise LedgerCorruptedError(
                f"entry {index} was accepted on {registry_size} registry entries,"
                f" more than the {self.registry.size} this process knows"
            )
        return registry_size

    def _replay_redacted(self, stored: EntryRecorded) -> SubjectHead:
        """An entry whose payload was erased: its leaf still chains its subject and feeds the
        tree; the domain marks the subject's state unknown from it (docs/rules.md)."""
        if not isinstance(self.state, LedgerState):
            raise LedgerCorruptedError(f"registry entry {stored.index} has no payload")
        leaf = Leaf.from_json(stored.leaf)
        leaf_hash = merkle_leaf_hash(stored.leaf_json.encode())
        version, prev = self.head_of(leaf.subject)
        if (
            leaf.log != self.log
            or leaf.version != version + 1
            or leaf.prev != prev
            or leaf_hash.hex() != stored.leaf_hash
        ):
            raise LedgerCorruptedError(f"entry {stored.index}: its leaf does not chain its subject")
        self._known_registry_size(stored.index, leaf)
        at = parse_instant(leaf.integrated_at)
        self.state.record_redacted(stored.index, leaf.subject, at)
        # an exact resubmission of the erased payload finds it recorded (its envelope digest
        # is gone with it: a resubmission is answered as a duplicate payload)
        self._remember(
            leaf.subject, version + 1, leaf_hash, bytes.fromhex(leaf.payload_sha256), b"", at
        )
        self.new_nodes.clear()
        return leaf.subject, version + 1, leaf_hash
