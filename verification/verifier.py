"""Verify a bundle against the log key alone: every check of DESIGN §6, then the rule replay."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from domain.events import Event
from verification.bundle import Bundle, BundleEntry
from verification.canonical import leaf_canonical
from verification.dsse import b64decode_dsse, pae
from verification.errors import MalformedEnvelopeError, VerificationError
from verification.failures import (
    BadEntrySignatureError,
    BundleFormatError,
    ChainPrevError,
    ChainVersionError,
    CheckpointError,
    ConsistencyError,
    FailedCheckError,
    InclusionError,
    LeafHashMismatchError,
    OrderError,
    PayloadHashMismatchError,
    UnusableInputError,
)
from verification.inclusion import InclusionVerifier
from verification.leaf import parse_instant
from verification.merkle import leaf_hash as merkle_leaf_hash
from verification.merkle import verify_consistency
from verification.note import Checkpoint, verify_checkpoint
from verification.parallel import ProcessSignaturePool, use_processes
from verification.payloads import parse_event
from verification.progress import Phases, due
from verification.registry import KeyRegistry
from verification.replay import Replay, replay_entries
from verification.signatures import SignatureJob

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Checked:
    """An entry after the cryptographic checks: its event (None if redacted or unreadable)."""

    entry: BundleEntry
    event: Event | None
    integrated_at: datetime
    keyids: tuple[str, ...]
    failed: bool


@dataclass
class Verification:
    """Everything the verifier established, failures first."""

    origin: str
    checkpoint: Checkpoint | None
    trusted: Checkpoint | None
    failures: list[FailedCheckError] = field(default_factory=list)
    redacted: list[int] = field(default_factory=list)
    entries: list[Checked] = field(default_factory=list)
    replay: Replay | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def _check_checkpoint(
    bundle: Bundle, log_key: str
) -> tuple[Checkpoint | None, list[FailedCheckError]]:
    try:
        checkpoint = verify_checkpoint(bundle.checkpoint, log_key)
    except VerificationError as error:
        return None, [CheckpointError(f"not signed by the log key: {error}")]
    if checkpoint.origin != bundle.origin:
        detail = f"origin {checkpoint.origin!r} is not the bundle's {bundle.origin!r}"
        return checkpoint, [CheckpointError(detail)]
    return checkpoint, []


def load_trusted(note: str, log_key: str) -> Checkpoint:
    """A checkpoint the inspector kept; it must verify with the log key (else unusable input)."""
    try:
        return verify_checkpoint(note, log_key)
    except VerificationError as error:
        raise UnusableInputError(f"the trusted checkpoint does not verify: {error}") from None


def check_consistency(
    bundle: Bundle, checkpoint: Checkpoint, trusted: Checkpoint
) -> FailedCheckError | None:
    """The bundle's checkpoint extends the trusted one (same tree, or a proven prefix of it)."""
    if trusted.origin != checkpoint.origin:
        return ConsistencyError(f"trusted origin {trusted.origin!r} is not {checkpoint.origin!r}")
    if trusted.size > checkpoint.size:
        return ConsistencyError(
            f"the bundle's tree ({checkpoint.size}) is older than the trusted one ({trusted.size})"
        )
    if trusted.size == checkpoint.size:
        if trusted.root != checkpoint.root:
            return ConsistencyError(
                f"two roots for size {trusted.size}: trusted {trusted.root.hex()}, "
                f"bundle {checkpoint.root.hex()} (a forked log)"
            )
        return None
    proof = bundle.consistency
    if proof is None or proof.from_size != trusted.size:
        return ConsistencyError(f"the bundle has no consistency proof from size {trusted.size}")
    try:
        verify_consistency(
            trusted.size, checkpoint.size, proof.hashes, trusted.root, checkpoint.root
        )
    except VerificationError as error:
        return ConsistencyError(f"from size {trusted.size} to {checkpoint.size}: {error}")
    return None


def _payload_hash(entry: BundleEntry, failures: list[FailedCheckError]) -> None:
    if entry.payload is None:
        return
    digest = hashlib.sha256(entry.payload).hexdigest()
    if digest != entry.leaf.payload_sha256:
        failures.append(
            PayloadHashMismatchError(
                entry.index, "payload sha256", entry.leaf.payload_sha256, digest
            )
        )


def _signature(sig: str) -> bytes:
    try:
        return b64decode_dsse(sig, "sig")
    except MalformedEnvelopeError:
        return b""


class _EntryChecks:
    """The per-entry checks, in index order, with the state they carry between entries."""

    def __init__(
        self, bundle: Bundle, checkpoint: Checkpoint | None, pool: ProcessSignaturePool
    ) -> None:
        later: dict[str, int] = {}
        for entry in bundle.entries:
            if entry.leaf.subject.startswith("key:") and entry.leaf.version == 1:
                later.setdefault(entry.leaf.subject.removeprefix("key:"), entry.index)
        self.registry = KeyRegistry(later)
        self.inclusion = (
            None if checkpoint is None else InclusionVerifier(checkpoint.size, checkpoint.root)
        )
        self.chains: dict[str, tuple[int, str]] = {}
        self.pool = pool
        self.last: tuple[int, datetime] | None = None

    def check(self, entry: BundleEntry, failures: list[FailedCheckError]) -> Checked:
        index, leaf = entry.index, entry.leaf
        before = len(failures)
        computed = merkle_leaf_hash(leaf_canonical(leaf))
        if computed.hex() != entry.leaf_hash:
            failures.append(
                LeafHashMismatchError(index, "leaf hash", computed.hex(), entry.leaf_hash)
            )
        if self.inclusion is not None:
            try:
                self.inclusion.verify(computed, index, entry.proof)
            except VerificationError as error:
                failures.append(InclusionError(index, str(error)))
        at = self._order(entry, failures)
        self._chain(entry, computed.hex(), failures)
        _payload_hash(entry, failures)
        event = None
        if entry.payload is not None and self.registry.signed_by_operator(index, leaf.signatures):
            event = parse_event(index, entry.payload, failures)  # the registry reads these
        if entry.payload is not None:
            key_failure = self.registry.check(index, event, at, leaf.signatures)
            if key_failure is not None:
                failures.append(key_failure)
            message = pae(leaf.payload_type, entry.payload)
            for signature in leaf.signatures:
                public_key = self.registry.public_key(index, event, signature.keyid)
                if public_key is not None:
                    raw = _signature(signature.sig)
                    self.pool.add(SignatureJob(index, signature.keyid, public_key, raw, message))
        if event is not None and event.agency == "operator" and len(failures) == before:
            self.registry.learn(index, event)
        keyids = tuple(
            s.keyid for s in leaf.signatures if s.keyid in self.registry.keys or index == 0
        )
        return Checked(entry, event, at, keyids, len(failures) > before)

    def _order(self, entry: BundleEntry, failures: list[FailedCheckError]) -> datetime:
        try:
            at = parse_instant(entry.leaf.integrated_at)
        except ValueError as error:
            raise BundleFormatError(f"entry {entry.index}: integrated_at: {error}") from None
        if self.last is not None:
            last_index, last_at = self.last
            if entry.index <= last_index:
                failures.append(OrderError(entry.index, f"follows entry {last_index}"))
            elif at < last_at:
                failures.append(OrderError(entry.index, f"integrated before entry {last_index}"))
        self.last = (entry.index, at)
        return at

    def _chain(self, entry: BundleEntry, leaf_hash: str, failures: list[FailedCheckError]) -> None:
        leaf = entry.leaf
        version, prev = self.chains.get(leaf.subject, (0, None))
        if leaf.version != version + 1:
            failures.append(
                ChainVersionError(
                    entry.index, f"version of {leaf.subject!r}", str(version + 1), str(leaf.version)
                )
            )
        if leaf.prev != prev:
            failures.append(
                ChainPrevError(entry.index, f"prev of {leaf.subject!r}", str(prev), str(leaf.prev))
            )
        self.chains[leaf.subject] = (leaf.version, leaf_hash)


def verify_bundle(
    bundle: Bundle,
    log_key: str,
    trusted_note: str | None = None,
    *,
    workers: int = 2,
    progress: Progress | None = None,
    as_of: datetime | None = None,
    replay: bool = True,
    phases: Phases | None = None,
) -> Verification:
    """Check the bundle; failures are collected (each names its entry), never raised.

    With `workers` > 1 on more than one CPU, a large bundle's signatures are checked in that many
    processes while this one runs the other checks and replays each entry as soon as its
    signatures are in. The verdict and failures are those of the serial path (`workers=1`, or a
    small bundle), which checks every entry in this process, then replays.
    `replay=False` stops after the cryptographic and chain checks (the rules are not replayed).
    `progress` hears of the checks; `phases` of every phase by name (checking, replaying).
    """
    trusted = None if trusted_note is None else load_trusted(trusted_note, log_key)
    checkpoint, failures = _check_checkpoint(bundle, log_key)
    result = Verification(bundle.origin, checkpoint, trusted, failures)
    if checkpoint is not None and trusted is not None:
        broken = check_consistency(bundle, checkpoint, trusted)
        if broken is not None:
            failures.append(broken)
    processes = workers if use_processes(workers, len(bundle.entries)) else 0
    with ProcessSignaturePool(processes) as pool:
        at = _pipelined_as_of(bundle, as_of) if replay and processes else None
        early = at is not None
        checked = _checked_entries(bundle, checkpoint, result, pool, progress, phases, early)
        if at is not None:  # replay each entry as it comes out of the checks
            entries = _counted(checked, len(bundle.entries), "checking and replaying", phases)
            result.replay = replay_entries(entries, _subjects(bundle), at)
        else:
            for _ in checked:
                pass
    failures.sort(key=lambda f: (-1 if f.index is None else f.index, f.reason))
    if replay and result.replay is None:
        last = result.entries[-1].integrated_at if result.entries else None
        at = as_of or _as_of(bundle, last)
        entries = _counted(result.entries, len(result.entries), "replaying", phases)
        result.replay = replay_entries(entries, bundle.subjects, at)
    if result.replay is not None:
        failures.extend(result.replay.failures)
    return result


def _counted(
    entries: Iterable[Checked], total: int, phase: str, phases: Phases | None
) -> Iterable[Checked]:
    """`entries`, reporting to `phases` as they are taken."""
    if phases is None or not due(total, total):
        return entries

    def counted() -> Iterator[Checked]:
        for done, checked in enumerate(entries, start=1):
            yield checked
            if due(done, total):
                phases(phase, done, total)

    return counted()


def _subjects(bundle: Bundle) -> tuple[str, ...]:
    """The subjects the replay lists: the bundle's, else every subject in entry order."""
    return bundle.subjects or tuple(dict.fromkeys(e.leaf.subject for e in bundle.entries))


def _pipelined_as_of(bundle: Bundle, as_of: datetime | None) -> datetime | None:
    """The replay's instant, if entries can be replayed while later ones are checked.

    They can when indices strictly increase (an entry's failures are then all known once it and
    its signatures are checked) and the last entry's time reads; otherwise None, and the replay
    waits for every check, as the failures of a later entry may name an earlier index.
    """
    entries = bundle.entries
    if not entries or any(a.index >= b.index for a, b in pairwise(entries)):
        return None
    try:
        return as_of or _as_of(bundle, parse_instant(entries[-1].leaf.integrated_at))
    except (ValueError, BundleFormatError):
        return None  # raised after (or by) the checks, as the serial path raises it


def _checked_entries(
    bundle: Bundle,
    checkpoint: Checkpoint | None,
    result: Verification,
    pool: ProcessSignaturePool,
    progress: Progress | None,
    phases: Phases | None,
    early: bool,
) -> Iterator[Checked]:
    """Each entry once all its checks are in, signatures included, in bundle order.

    `early`: hand each one out as soon as its signatures are checked (indices strictly
    increase); otherwise after the last entry's, when every failure of every index is known.
    """
    failures, total = result.failures, len(bundle.entries)
    checks = _EntryChecks(bundle, checkpoint, pool)
    bad: set[tuple[int, str]] = set()
    failed: set[int] = set()
    pending: deque[tuple[Checked, int]] = deque()
    resolved = 0

    def take(outcomes: Iterator[tuple[SignatureJob, bool]]) -> None:
        nonlocal resolved
        for job, ok in outcomes:
            resolved += 1
            if not ok:
                bad.add((job.index, job.keyid))
                failed.add(job.index)
                failures.append(BadEntrySignatureError(job.index, job.keyid))

    def final(c: Checked) -> Checked:
        index = c.entry.index
        keyids = tuple(k for k in c.keyids if (index, k) not in bad)
        checked = Checked(c.entry, c.event, c.integrated_at, keyids, c.failed or index in failed)
        result.entries.append(checked)
        return checked

    for done, entry in enumerate(bundle.entries, start=1):
        before = len(failures)
        checked = checks.check(entry, failures)
        failed.update(f.index for f in failures[before:] if f.index is not None)
        pending.append((checked, pool.added))
        if entry.payload is None:
            result.redacted.append(entry.index)
        if progress is not None and (done % 2000 == 0 or done == total):
            progress(done, total)
        if phases is not None and not early and due(done, total):
            phases("checking", done, total)
        if early:
            take(pool.ready())
            while pending and pending[0][1] <= resolved:
                yield final(pending.popleft()[0])
    take(pool.rest())
    while pending:
        yield final(pending.popleft()[0])


def _as_of(bundle: Bundle, last: datetime | None) -> datetime | None:
    """The bundle's stated as_of (the checkpoint's publication), never before its last entry."""
    if bundle.as_of is None:
        return last
    try:
        stated = parse_instant(bundle.as_of)
    except ValueError as error:
        raise BundleFormatError(f"as_of: {error}") from None
    return stated if last is None or stated >= last else last
