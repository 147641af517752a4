"""One log's writer: checks envelopes, integrates them by group commit, answers with receipts."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.aggregates import Complaint
from domain.errors import Refusal
from domain.events import parse_payload
from domain.flags import Flag
from domain.history import flag_order
from domain.registry import Redaction, RegistryState
from domain.state import LedgerState
from ledger.committer import GroupCommitter, ItemRefusedError, Request
from ledger.errors import (
    LedgerCorruptedError,
    LedgerError,
    NotFoundError,
    StoreConflictError,
    SubmissionFailedError,
    UnsupportedPayloadTypeError,
)
from ledger.head import LogHead, Outcome, Submission
from ledger.integrity import check_stored_tree
from ledger.proofs import ProofReader
from ledger.records import CheckpointRow, EntryRecorded, LogBatch
from ledger.signers import check_known_signatures
from ledger.signing import CheckpointSigner
from ledger.snapshot import (
    SNAPSHOT_EVERY,
    STATE_CAPACITY,
    SnapshotBody,
    SnapshotRefusedError,
    StateMovedError,
    StateRows,
    check_frontier,
    decode_body,
    resumed_state,
)
from ledger.state_codec import STATE_MAPS
from ledger.store import LogStore
from ledger.subject_map import LogSubjectMap
from ledger.tree import Node
from verification.dsse import PAYLOAD_TYPE, parse_envelope
from verification.leaf import format_instant

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]
MAX_CONFLICT_RETRIES = 20
MAX_REBUILDS = 5  # rebuilds of a head in a row while other processes move the stored state
CONTENDED_GROUPS = 100  # groups committed in the writer turn after a conflict
log = logging.getLogger("jejak.ledger")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Receipt:
    """The answer to an append: where the entry is and the proof that the log holds it."""

    log: str
    index: int
    leaf_hash: str
    subject: str
    version: int
    integrated_at: str
    checkpoint: str
    inclusion_proof: tuple[str, ...]
    created: bool
    flags: tuple[Flag, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "log": self.log,
            "index": self.index,
            "leaf_hash": self.leaf_hash,
            "subject": self.subject,
            "version": self.version,
            "integrated_at": self.integrated_at,
            "checkpoint": self.checkpoint,
            "inclusion_proof": list(self.inclusion_proof),
            "flags": [flag.as_json() for flag in self.flags],
        }


class Ledger:
    """One process's handle on one log: a single writer thread, any number of readers.

    The registry log's ledger has no `registry`; an agency log's ledger reads its keys and
    organisations from the registry log's ledger, and catches that one up first when another
    process has appended to it."""

    def __init__(
        self,
        log_id: str,
        store: LogStore,
        signer: CheckpointSigner,
        registry: Ledger | None = None,
        clock: Clock = utc_now,
        progress: Progress | None = None,
    ) -> None:
        self.log_id = log_id
        self.store = store
        self.signer = signer.for_log(log_id)
        self.registry = registry
        self.clock = clock
        self.proofs = ProofReader(store.recorder)
        registry_state = None
        if registry is not None:
            assert isinstance(registry.state, RegistryState)
            registry_state = registry.state
        self.head = LogHead(log_id, registry_state)  # until the first fold below
        self.subject_map = LogSubjectMap(store.recorder, self.signer)
        self._lock = threading.Lock()
        self.conflict_retries = 0  # group commits retried after another writer's entries
        self._contended = 0  # groups still to commit in the writer turn after a conflict
        self.on_commit: Callable[[str], None] | None = None  # told the log id after a commit
        self.snapshot_every = int(os.environ.get("JEJAK_SNAPSHOT_EVERY", SNAPSHOT_EVERY))
        self.rebuilds = 0  # heads folded again from the store after the first (tests, stats)
        self._resync_due = False  # a snapshot write found the stored state moved
        self._redactions_at = -1  # the registry size this head last applied redactions at
        if self.registry is not None:
            self.registry.sync()  # the keys this log's entries were accepted on
            keys = self.registry.state
            assert isinstance(keys, RegistryState)
            self._erase(keys.redactions_of(log_id), store.recorder.log_size())
            self._redactions_at = keys.size
        self.head, self.subject_map = self._rebuilt(progress)
        check_stored_tree(
            store.recorder, self.signer.verifier_key, self.signer.origin, self.head.frontier
        )
        self._store_subject_map_if_missing()
        self._committer = GroupCommitter(self._commit_group, name=f"jejak-writer-{log_id}")

    def _store_subject_map_if_missing(self) -> None:
        """A log stored before subject maps existed gets its map built from the log, once,
        in the writer's turn (the checkpoints before that size have no note)."""
        if self.head.size == 0 or self.store.recorder.subject_note(None) is not None:
            return
        with self.store.recorder.writer_turn() as size:
            if size > self.head.size:
                self.catch_up()
            latest = self.store.recorder.checkpoint(None)
            with self._lock:
                self.subject_map.store_if_missing(
                    self.head.size, None if latest is None else latest.size
                )

    # Reading the state ---------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self.head.size

    @property
    def origin(self) -> str:
        return self.signer.origin

    @property
    def state(self) -> LedgerState | RegistryState:
        return self.head.state

    @property
    def agency_state(self) -> LedgerState:
        """The folded state of an agency log (refused for the registry log)."""
        state = self.head.state
        if not isinstance(state, LedgerState):
            raise NotFoundError(f"log {self.log_id} is the registry log, which holds no agency")
        return state

    def keys_of(self, name: str) -> set[object]:
        """Every key of one map of the agency state: its stored rows' and its unsettled
        changes' (hold `read_lock()`). It reads the whole map: for maps of few keys
        (complaints), the demo's summary and tests, never a request path's per-entry read."""
        state = self.agency_state
        codec = STATE_MAPS[name]
        keys: set[object] = {codec.decode_key(k) for k in self.store.recorder.state_keys(name)}
        keys.update(state.dirty().get(name, {}))
        return keys

    def complaints(self) -> list[Complaint]:
        """Every complaint of this agency log, in filing order (hold `read_lock()`)."""
        state = self.agency_state
        found = (state.complaint(str(key)) for key in self.keys_of("complaints"))
        return sorted((c for c in found if c is not None), key=lambda c: c.filed_entry)

    def compliance_flags(self, as_of: datetime | None = None) -> tuple[Flag, ...]:
        """Every flag of this agency log as of `as_of` (recorded or time-dependent), in entry
        order: each subject's view, O(subjects) reads (the demo's summary, tests)."""
        with self._lock:
            state = self.agency_state
            at = as_of or state.last_integrated_at
            found: list[Flag] = []
            for subject in self.keys_of("kinds"):
                view = state.subject_view(str(subject), at)
                if view is not None:
                    found.extend(view.flags)
        return tuple(sorted(found, key=flag_order))

    def subject_events(self, subject: str) -> list[EntryRecorded]:
        """Every stored entry of one subject of this log, in version order."""
        return self.store.subject_events(subject)

    def read_lock(self) -> threading.Lock:
        """Held while the in-memory state changes; hold it to read a consistent state."""
        return self._lock

    def catch_up(self, progress: Progress | None = None) -> None:
        """Replay entries other writers (or earlier runs) stored since this head's size; when
        the stored state rows moved under this head, fold it again from the store instead."""
        if self.registry is not None:
            self.registry.sync()  # the keys this log's new entries were accepted on
        try:
            with self._lock:
                self._replay(self.head, self.subject_map, self.store.recorder.log_size(), progress)
        except StateMovedError as error:
            self._recover(error)

    # The working set and snapshots (docs/architecture.md) ------------------------------------

    def _generation(self) -> int:
        """The fold's generation: how many redactions of this log the registry holds."""
        if self.registry is None:
            return 0
        registry = self.registry.state
        assert isinstance(registry, RegistryState)
        return len(registry.redactions_of(self.log_id))

    def _rebuilt(
        self, progress: Progress | None = None, damaged: bool = False
    ) -> tuple[LogHead, LogSubjectMap]:
        """A head and subject map folded from the store up to its size: from the stored
        snapshot when it is usable, else from entry 0 (its rows deleted first). Retried when
        another process moves the stored state meanwhile."""
        for _ in range(MAX_REBUILDS):
            try:
                return self._fold_from_store(progress, damaged)
            except StateMovedError as error:
                log.warning("log %s: %s; folding it again", self.log_id, error)
                damaged = error.damaged
        raise StoreConflictError(
            f"log {self.log_id}: other writers kept moving its stored state; try again"
        )

    def _fold_from_store(
        self, progress: Progress | None, damaged: bool
    ) -> tuple[LogHead, LogSubjectMap]:
        recorder = self.store.recorder
        subject_map = LogSubjectMap(recorder, self.signer)
        if self.registry is None:
            head = LogHead(
                self.log_id, None, heads=subject_map.head, lookup=recorder.stored_payloads
            )
            self._replay(head, subject_map, recorder.log_size(), progress)
            return head, subject_map
        registry = self.registry.state
        assert isinstance(registry, RegistryState)
        generation = self._generation()
        body = None if damaged else self._usable_snapshot(generation)
        rows = StateRows(recorder, generation, 0 if body is None else body.size)
        if body is None:
            stored = recorder.snapshot()
            if damaged or (
                stored is not None and (stored.generation, stored.size) != (generation, 0)
            ):
                recorder.reset_snapshot(generation)  # rows of another fold, or damaged
            state = LedgerState(
                self.log_id, registry, loader=rows, capacity=STATE_CAPACITY, keep_steps=True
            )
            rows.state = state
        else:
            state = resumed_state(body, rows, registry, STATE_CAPACITY)
            if not subject_map.resume(body.size):  # checked in _usable_snapshot: a race
                raise StateMovedError(f"log {self.log_id}: no subject-map note at {body.size}")
        head = LogHead(
            self.log_id,
            registry,
            state=state,
            heads=subject_map.head,
            lookup=recorder.stored_payloads,
        )
        head.rows = rows
        if body is not None:
            head.resume(body.size, tuple(body.frontier), body.last_at)
        self._replay(head, subject_map, recorder.log_size(), progress)
        return head, subject_map

    def _usable_snapshot(self, generation: int) -> SnapshotBody | None:
        """The stored snapshot if start-up may resume from it; None (with a warning naming
        the log and why, when there is one) to fold from entry 0."""
        recorder = self.store.recorder
        stored = recorder.snapshot()
        if stored is None or stored.size == 0:
            return None
        try:
            body = decode_body(stored, self.log_id, generation)
            if stored.size > recorder.log_size():
                raise SnapshotRefusedError(f"the log holds fewer than its {stored.size} entries")
            if recorder.subject_note(stored.size) is None:
                raise SnapshotRefusedError(f"no subject-map note was published at {stored.size}")
            check_frontier(recorder, body)
        except SnapshotRefusedError as error:
            log.warning(
                "log %s: its snapshot at size %d is refused (%s); folding it from entry 0",
                self.log_id,
                stored.size,
                error,
            )
            return None
        return body

    def _recover(self, error: StateMovedError | None) -> None:
        """Fold this head again from the store: its rows moved under it (another process
        snapshotted past it or reset them), or one was found damaged (then from entry 0)."""
        if error is not None:
            log.warning("log %s: %s; folding it again from the store", self.log_id, error)
        if self.registry is not None:
            self.registry.sync()
        head, subject_map = self._rebuilt(damaged=error is not None and error.damaged)
        with self._lock:
            self.head, self.subject_map = head, subject_map
        self.rebuilds += 1
        self._resync_due = False

    def _snapshot_due(self, head: LogHead, replaying: bool = False, closing: bool = False) -> None:
        """Snapshot the head's state when `snapshot_every` entries are unsettled (in the
        writer, after a commit or a replay's chunk), or any is when `closing`. A replay or a
        close snapshots only at a size whose subject-map note was published (a resumed map is
        read as of that size)."""
        rows = head.rows
        if rows is None or head.size - rows.base < (1 if closing else self.snapshot_every):
            return
        noted = replaying or closing
        if noted and self.store.recorder.subject_note(head.size) is None:
            return
        state = head.state
        assert isinstance(state, LedgerState)
        if not rows.snapshot(state, head.frontier):
            self._resync_due = True  # another process moved the stored state: follow it
            return
        if replaying:  # a head being folded, which readers do not see (or hold the lock)
            state.settle()
        else:
            with self._lock:
                state.settle()

    def _replay(
        self,
        head: LogHead,
        subject_map: LogSubjectMap,
        target: int,
        progress: Progress | None = None,
    ) -> None:
        while head.size < target:
            chunk = self.store.recorder.entries(head.size, min(target, head.size + 2000))
            if not chunk:
                raise LedgerCorruptedError(
                    f"entry {head.size} of log {self.log_id} is missing from the store"
                )
            heads = []
            for stored in chunk:
                try:
                    heads.append(head.replay(self.store.decode(stored)))
                except StateMovedError:
                    raise
                except Exception as error:  # any: start-up says which entry, in one line
                    raise LedgerCorruptedError(
                        f"entry {stored.index} of log {self.log_id} cannot be replayed:"
                        f" {type(error).__name__}: {error}"
                    ) from error
            subject_map.replay(heads, head.size)  # the heads the map reflects are skipped
            head.settle_heads()
            self._snapshot_due(head, replaying=True)
            if progress is not None:
                progress(head.size, target)

    # Redactions ----------------------------------------------------------------------------

    def _erase(self, wanted: Sequence[Redaction], size: int) -> bool:
        """Erase the payloads of these redactions that the store still holds; True if any."""
        erased = self.store.recorder.redactions()
        erased_now = False
        for redaction in wanted:
            if redaction.index not in erased and redaction.index < size:
                erased_now |= self.store.recorder.erase_payload(redaction.index, redaction.entry)
        return erased_now

    def apply_redactions(self) -> None:
        """Erase the payloads the registry says are redacted that this log's store still
        holds, and fold the log again when any redaction is new to this process, so its
        memory keeps nothing of an erased payload (docs/rules.md): from a snapshot of the new
        generation another process stored, else from entry 0 (the stored rows hold what the
        erased payload did: they are deleted first).

        Run in the writer (at open, and before each group); the redaction command asks the
        writer to run it (`redacted`), and a writer in another process runs it when it sees
        the registry's new `entry.redacted` (or a crash left an erasure undone)."""
        if self.registry is None:
            return
        registry = self.registry.state
        assert isinstance(registry, RegistryState)
        if registry.size == self._redactions_at:
            return
        wanted = registry.redactions_of(self.log_id)
        erased_now = self._erase(wanted, self.head.size)
        rows = self.head.rows
        if erased_now or (rows is not None and len(wanted) != rows.generation):
            if erased_now:
                self.store.recorder.reset_snapshot(len(wanted))
            head, subject_map = self._rebuilt()
            with self._lock:
                self.head, self.subject_map = head, subject_map
            self._committed()  # the read models fold the log again too
        self._redactions_at = registry.size

    def redacted(self) -> None:
        """Apply a redaction just appended to the registry log, in this log's writer."""
        self._committer.submit([])

    def behind(self) -> bool:
        """Whether other processes appended to this log since this process last looked."""
        return self.store.recorder.log_size() > self.head.size

    def sync(self) -> None:
        """Make this process see what other processes appended (a no-op when nothing is new)."""
        if self.behind():
            self._committer.submit([])

    # Appending -----------------------------------------------------------------------------

    def prepare(self, obj: object) -> Submission:
        """Check an envelope's shape, payload and the signatures by already known keys."""
        envelope = parse_envelope(obj)
        if envelope.payload_type != PAYLOAD_TYPE:
            raise UnsupportedPayloadTypeError(
                f"payloadType must be {PAYLOAD_TYPE!r}, not {envelope.payload_type!r}"
            )
        event = parse_payload(envelope.payload)
        named, verified = check_known_signatures(self.head.keys, envelope, event)
        return Submission.of(named, event, verified)

    def append(self, submissions: Sequence[Submission]) -> list[Receipt]:
        """Integrate submissions all or nothing; return once they are durable."""
        return self._committer.submit(submissions)

    async def append_async(self, submissions: Sequence[Submission]) -> list[Receipt]:
        """`append` for the event loop: no thread waits while the group commits."""
        return await self._committer.submit_async(submissions)

    def close(self) -> None:
        """Stop the writer, then snapshot what it folded since its last snapshot, so the next
        start-up (a restart, a deploy) has no tail to replay. (The store is shared with other
        logs: `Logs.close` closes it.)"""
        self._committer.close()
        if self._committer.stopped:  # else stuck in a commit: not this thread's to snapshot
            self._snapshot_at_close()

    def _snapshot_at_close(self) -> None:
        try:
            self._snapshot_due(self.head, closing=True)
        except Exception:  # the snapshot is a shortcut: the next start folds the tail instead
            log.exception("snapshotting log %s at close failed", self.log_id)

    def _commit_group(self, group: list[Request]) -> None:
        """Commit a group, caught up with what other processes appended.

        A log normally has one writing process (`jejak serve --workers N` routes each log to
        one), so a group is first folded on this head and committed in one statement, without
        taking the writer turn: if another process did append meanwhile, the first of the
        group's indexes is taken and the store answers a conflict, stored nothing, and nothing
        was settled. Then, and for the next CONTENDED_GROUPS groups, the group is committed in
        the writer turn (on PostgreSQL a per-log lock across processes), caught up first, so
        busy writers of one log take turns instead of conflicting again and again. Where the
        turn is no lock (SQLite), a conflict is retried after catching up."""
        if self.registry is not None and self.registry.behind():
            self.registry.sync()
        if self._resync_due:
            self._recover(None)
        self.apply_redactions()
        if all(not request.submissions for request in group):
            pass  # a `sync`: catch up in the turn below
        elif self._contended == 0:
            try:
                self._try_commit(group, unlocked=True)
                self._snapshot_after_commit()
                return
            except StoreConflictError as error:
                self.conflict_retries += 1
                self._contended = CONTENDED_GROUPS
                if isinstance(error, StateMovedError):
                    self._recover(error)
        else:
            self._contended -= 1
        with self.store.recorder.writer_turn() as size:
            if size > self.head.size:
                self.catch_up()
            for _ in range(MAX_CONFLICT_RETRIES):
                try:
                    self._try_commit(group)
                    self._snapshot_after_commit()
                    return
                except StateMovedError as error:
                    self.conflict_retries += 1
                    self._recover(error)
                except StoreConflictError:
                    self.conflict_retries += 1
                    self.catch_up()
        for request in group:
            request.fail(StoreConflictError("too many concurrent writers; try again"))

    def _snapshot_after_commit(self) -> None:
        """Snapshot when due, once the group's requests are answered: its failure fails no
        request (they are stored); the next group folds the state again from the store."""
        try:
            self._snapshot_due(self.head)
        except Exception:
            log.exception("snapshotting log %s failed; its state is folded again", self.log_id)
            self._resync_due = True

    def _try_commit(self, group: list[Request], unlocked: bool = False) -> None:
        """Fold the group on a fork of the head and store what it accepted. `unlocked`: not in
        the writer turn, so the head may be stale: a group that stores entries meets another
        writer's entries as a conflict, and one that stores nothing (all refused, resubmitted,
        or a `sync`) answers nothing on a stale head's word: when another process appended
        meanwhile it is retried in the turn (StoreConflictError), caught up."""
        txn = self.head.fork()
        # the group's subjects' heads, the buckets not cached read in one store call
        self.subject_map.heads({s.event.subject for r in group for s in r.submissions})
        at = self.clock()
        if txn.last_at is not None and at < txn.last_at:
            at = txn.last_at
        accepted: list[tuple[Request, list[Outcome]]] = []
        refused: list[tuple[Request, ItemRefusedError]] = []  # settled once the group is stored
        for request in group:
            unit = txn.fork()
            try:
                outcomes = []
                for position, submission in enumerate(request.submissions):
                    try:
                        outcomes.append(unit.integrate(submission, at))
                    except StoreConflictError:
                        raise  # the stored state moved under this head: the group is retried
                    except (Refusal, LedgerError) as error:
                        raise ItemRefusedError(position, error) from error
                    except Exception as error:  # a bug: it refuses this request, not the group
                        log.exception(
                            "checking submission %d of a request failed unexpectedly", position
                        )
                        failed = SubmissionFailedError(
                            f"an unexpected error while checking this envelope"
                            f" ({type(error).__name__}); it is logged and nothing was stored"
                        )
                        raise ItemRefusedError(position, failed) from error
            except ItemRefusedError as error:
                refused.append((request, error))
                continue
            unit.commit()
            accepted.append((request, outcomes))
        new = {e.event.index: e.event for e in txn.new_entries}
        if not new and unlocked and self.behind():  # no insert to conflict: ask the store
            raise StoreConflictError("another writer appended to this log meanwhile")
        if not accepted:
            self._refuse(refused)
            return
        # the right edge before this group and the nodes it adds hold every proof node needed
        known = [*self.head.frontier, *txn.new_nodes]
        if new:
            size, root = txn.size, txn.root
            checkpoint = CheckpointRow(size, root, self.signer.sign(size, root), format_instant(at))
            subject_map, change = self.subject_map.batch(txn.new_heads(), size)
            batch = LogBatch(
                self.log_id,
                [e.row for e in txn.new_entries],
                txn.new_nodes,
                checkpoint,
                subject_map,
                outside_turn=unlocked,
            )
            try:
                self.store.append(list(new.values()), batch)
            except StoreConflictError as error:
                if "payload_sha256" not in str(error) or not self._forgotten_payloads(txn):
                    raise  # another writer's entries (or a payload of its): catch up first
                self._try_commit(group, unlocked)  # answered from the store this time
                return
            with self._lock:
                txn.commit()
                self.subject_map.committed(change)
                self.head.settle_heads()
            self._committed()
        else:
            checkpoint = self.latest_checkpoint()
        self._refuse(refused)
        try:
            outcomes = [o for _, request_outcomes in accepted for o in request_outcomes]
            receipts = self._receipts(outcomes, new, checkpoint, known)
        except LedgerError as error:
            for request, _ in accepted:
                request.fail(error)
            return
        for request, outcomes in accepted:
            request.succeed(receipts[: len(outcomes)])
            receipts = receipts[len(outcomes) :]

    def _forgotten_payloads(self, txn: LogHead) -> bool:
        """After a commit the payload's unique index refused: whether some of the group's new
        entries repeat a payload stored before this head's size that the head no longer
        remembered (not another writer's new entry). The head remembers them for the retry, which
        answers those submissions as resubmissions and commits the rest."""
        digests = [entry.row.payload_sha256 for entry in txn.new_entries]
        found = self.store.recorder.stored_payloads(digests)
        known = {d: p for d, p in found.items() if p.index < self.head.size}
        if not known:
            return False
        self.head.remember_payloads(known)
        return True

    @staticmethod
    def _refuse(refused: list[tuple[Request, ItemRefusedError]]) -> None:
        """Answer the refused requests of a group (only once the group stands: a conflict
        retries the whole group on a caught-up head, where the answer may differ)."""
        for request, error in refused:
            request.fail(error.cause if len(request.submissions) == 1 else error)

    def _committed(self) -> None:
        """Tell the listener (the read models' runner) that this log grew; its failure never
        fails the commit, which is durable already."""
        if self.on_commit is None:
            return
        try:
            self.on_commit(self.log_id)
        except Exception:  # the entries are stored; the read models poll as well
            log.exception("telling the read models about a commit of log %s failed", self.log_id)

    # Reading entries and receipts ----------------------------------------------------------

    def entry(self, index: int) -> EntryRecorded:
        """The stored entry at `index` (one read: a missing row is a 404)."""
        stored = self.store.recorder.entries(index, index + 1) if index >= 0 else []
        if not stored:
            raise NotFoundError(f"log {self.log_id} has no entry {index}")
        return self.store.decode(stored[0])

    def latest_checkpoint(self) -> CheckpointRow:
        checkpoint = self.store.recorder.checkpoint(None)
        if checkpoint is None:
            raise NotFoundError(f"log {self.log_id} has no checkpoint yet: it holds no entry")
        return checkpoint

    def checkpoint(self, size: int) -> CheckpointRow:
        """The checkpoint published at `size` (a 404 when none was)."""
        checkpoint = self.store.recorder.checkpoint(size)
        if checkpoint is None:
            raise NotFoundError(f"log {self.log_id} published no checkpoint of size {size}")
        return checkpoint

    def subject_map_note(self, size: int) -> str:
        """The signed subject-map note published at `size` (a 404 when none was)."""
        return self.subject_map.note(size).note

    def subject_proof(self, subject: str, size: int) -> dict[str, object]:
        """The proof of `subject`'s head (or absence) at `size`, docs/subject-map.md."""
        return self.subject_map.proof(subject, size).as_json()

    def _receipts(
        self,
        outcomes: Sequence[Outcome],
        new: dict[int, EntryRecorded],
        checkpoint: CheckpointRow,
        new_nodes: Sequence[Node],
    ) -> list[Receipt]:
        """Receipts with inclusion proofs against `checkpoint`, reading as little as possible."""
        indexes = [o.index for o in outcomes]
        proofs = self.proofs.inclusion_proofs(indexes, checkpoint.size, new_nodes)
        receipts = []
        for outcome, proof in zip(outcomes, proofs, strict=True):
            event = new.get(outcome.index) or self.entry(outcome.index)
            leaf = event.leaf  # parsed once, not once per field
            receipts.append(
                Receipt(
                    log=self.log_id,
                    index=outcome.index,
                    leaf_hash=event.leaf_hash,
                    subject=str(leaf["subject"]),
                    version=int(leaf["version"]),
                    integrated_at=str(leaf["integrated_at"]),
                    checkpoint=checkpoint.note,
                    inclusion_proof=tuple(h.hex() for h in proof),
                    created=outcome.created,
                    flags=outcome.flags,
                )
            )
        return receipts
