"""Each entry of one log of a bundle/2: leaf, payload, signatures, keys, inclusion and chain."""

from __future__ import annotations

from datetime import datetime

from domain.entry import Entry
from domain.events import OPERATOR, Event
from verification.facts import Facts, precheck
from verification.failures import (
    BadEntrySignatureError,
    BundleFormatError,
    ChainPrevError,
    ChainVersionError,
    FailedCheckError,
    OrderError,
    RedactionUnprovenError,
    RegistrySizeError,
)
from verification.keyring import Keyring
from verification.logcheck import Inclusion
from verification.note import Checkpoint
from verification.outcome import Did, LogSummary, Step
from verification.records import EntryRecord
from verification.replay import Replays
from verification.spill import SpilledMap


def _head(packed: bytes | None) -> tuple[int, str] | None:
    """A subject's chain head as the spill packs it: (version, leaf hash hex)."""
    return None if packed is None else (int(packed[32:].split()[0]), packed[:32].hex())


def _last_index(packed: bytes) -> int:
    """The log index of the chain head's entry, as the spill packs it."""
    return int(packed[32:].split()[1])


class LogEntries:
    """The entries of one log in index order, with what they carry from one to the next."""

    def __init__(
        self,
        summary: LogSummary,
        inclusion: Inclusion,
        keyring: Keyring,
        replays: Replays,
        registry: Checkpoint | None,
        replay: bool = True,
    ) -> None:
        self.log = summary.log
        self.replay = replay or summary.log == OPERATOR  # the registry is replayed always
        self.summary = summary
        self.inclusion = inclusion
        self.keyring = keyring
        self.replays = replays
        self.registry = registry  # the registry log's checkpoint
        self.chains = SpilledMap(replays.spill, f"chain:{self.log}")  # subject -> its head
        self.first_versions: dict[str, tuple[int, int]] = {}  # subject -> (version, index)
        """Subjects whose chain starts past version 1 in the bundle (the rest start at 1)."""
        self.subjects = 0  # subjects with entries in the bundle
        self.last: tuple[int, datetime] | None = None

    @property
    def is_registry(self) -> bool:
        return self.log == OPERATOR

    def check(
        self, record: EntryRecord, failures: list[FailedCheckError], facts: Facts | None = None
    ) -> Step:
        """Check one entry, appending what fails; fold it into the replay if all passed.

        `facts` are the entry's own checks (`precheck`) when a worker made them already."""
        index, leaf = record.index, record.leaf
        if facts is None:
            facts = precheck(record, self._known_key)
        before = len(failures)
        failures.extend(facts.leaf_failures)
        at = self._order(record, facts, failures)
        self._registry_size(record, failures)
        self.inclusion.entry(index, facts.leaf_hash, record.proof, at, failures)
        self._chain(record, facts.leaf_hash.hex(), failures)
        event: Event | None = None
        keyids: tuple[str, ...] = ()
        if record.payload is None:
            self._missing(record, failures)
        else:
            event, keyids = self._payload(record, at, facts, failures)
        self.summary.entries += 1
        ok = len(failures) == before
        if not ok:
            self.replays.taint(self.log, f"the failure of entry {index}")
        elif self.inclusion.missing is not None:
            self.replays.taint(self.log, f"the missing entry {self.inclusion.missing}")
        if self.replay:
            self._replay(record, event, keyids, at, ok)
        if ok and self.is_registry and event is not None:
            self.keyring.learn(index, event)
        return Step(
            self.log,
            index,
            leaf.subject,
            leaf.version,
            leaf.integrated_at,
            Did.of(event),
            record.missing,
            keyids,
            not ok,
        )

    def _known_key(self, keyid: str) -> bytes | None:
        key = self.keyring.keys.get(keyid)
        return None if key is None else key.public_key

    def _order(
        self, record: EntryRecord, facts: Facts, failures: list[FailedCheckError]
    ) -> datetime:
        at = facts.at
        if at is None:
            raise BundleFormatError(str(facts.at_error))
        if self.last is not None:
            last_index, last_at = self.last
            if record.index <= last_index:
                failures.append(OrderError(record.index, f"follows entry {last_index}"))
            elif at < last_at:
                failures.append(OrderError(record.index, f"integrated before entry {last_index}"))
        self.last = (record.index, at)
        return at

    def _registry_size(self, record: EntryRecord, failures: list[FailedCheckError]) -> None:
        size, index = record.leaf.registry_size, record.index
        if self.is_registry:
            if size != 0:
                failures.append(RegistrySizeError(index, f"a registry entry names size {size}"))
            return
        if self.registry is not None and size > self.registry.size:
            failures.append(
                RegistrySizeError(
                    index, f"names registry size {size}, past its checkpoint's {self.registry.size}"
                )
            )

    def _chain(self, record: EntryRecord, leaf_hash: str, failures: list[FailedCheckError]) -> None:
        leaf, index = record.leaf, record.index
        known = _head(self.chains.get(leaf.subject))
        if known is None:
            self.subjects += 1
            if leaf.version != 1:
                self.first_versions[leaf.subject] = (leaf.version, index)
            if leaf.version == 1 and leaf.prev is not None:
                failures.append(
                    ChainPrevError(index, f"prev of {leaf.subject!r}", "None", str(leaf.prev))
                )
            elif leaf.version > 1:
                self.replays.chain_starts_late(self.log, leaf.subject, leaf.version)
        else:
            version, prev = known
            if leaf.version != version + 1:
                failures.append(
                    ChainVersionError(
                        index, f"version of {leaf.subject!r}", str(version + 1), str(leaf.version)
                    )
                )
            if leaf.prev != prev:
                failures.append(
                    ChainPrevError(index, f"prev of {leaf.subject!r}", prev, str(leaf.prev))
                )
        self.chains[leaf.subject] = bytes.fromhex(leaf_hash) + b"%d %d" % (leaf.version, index)

    def chain_head(self, subject: str) -> tuple[int, str, int] | None:
        """The subject's last entry in the bundle: (version, leaf hash hex, log index)."""
        packed = self.chains.get(subject)
        head = _head(packed)
        if packed is None or head is None:
            return None
        return head[0], head[1], _last_index(packed)

    def _missing(self, record: EntryRecord, failures: list[FailedCheckError]) -> None:
        index = record.index
        if record.missing == "withheld":
            self.summary.withheld.append(index)
        elif not self.is_registry and (self.log, index) in self.keyring.redactions:
            self.summary.redacted.append(index)
            redaction = self.replays.registry.redaction(self.log, index)
            if redaction is not None:
                self.summary.redaction_basis[index] = redaction.basis
        else:
            failures.append(
                RedactionUnprovenError(
                    index,
                    "the payload is said to be redacted, but no entry.redacted of the "
                    "bundle's registry entries names this entry",
                )
            )

    def _payload(
        self, record: EntryRecord, at: datetime, facts: Facts, failures: list[FailedCheckError]
    ) -> tuple[Event | None, tuple[str, ...]]:
        index, leaf, event = record.index, record.leaf, facts.event
        failures.extend(facts.payload_failures)
        size = index if self.is_registry else leaf.registry_size
        genesis = event if self.is_registry and index == 0 else None
        key_failure = self.keyring.check(index, event, at, leaf.signatures, size, genesis)
        if key_failure is not None:
            failures.append(key_failure)
        verified = []
        for n, signature in enumerate(leaf.signatures):
            public_key = self.keyring.public_key(signature.keyid, size, genesis)
            if public_key is None:
                continue  # the key rule's failure names it
            if facts.verified(n, public_key):
                verified.append(signature.keyid)
            else:
                failures.append(BadEntrySignatureError(index, signature.keyid))
        return event, tuple(verified)

    def _replay(
        self,
        record: EntryRecord,
        event: Event | None,
        keyids: tuple[str, ...],
        at: datetime,
        ok: bool,
    ) -> None:
        index, subject = record.index, record.leaf.subject
        if record.payload is None and ok and record.missing == "redacted":
            self.replays.redacted(self.log, index, subject, at)
        elif record.payload is None:
            self.replays.hide(self.log, index, subject, f"was {record.missing}")
        elif not ok or event is None:
            self.replays.hide(self.log, index, subject, "failed a check")
        else:
            size = 0 if self.is_registry else record.leaf.registry_size
            self.replays.record(self.log, Entry(index, event, keyids, at, size))
