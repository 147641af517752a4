"""One log's writer: checks envelopes, integrates them by group commit, answers with receipts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.errors import Refusal
from domain.events import parse_payload
from domain.flags import Flag
from domain.registry import RegistryState
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
from ledger.store import LogStore
from ledger.subject_map import LogSubjectMap
from ledger.tree import Node
from verification.dsse import PAYLOAD_TYPE, parse_envelope
from verification.leaf import format_instant

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]
MAX_CONFLICT_RETRIES = 20
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
        self.head = LogHead(log_id, registry_state)
        self.subject_map = LogSubjectMap(store.recorder, self.signer)
        self._lock = threading.Lock()
        self.conflict_retries = 0  # group commits retried after another writer's entries
        self._contended = 0  # groups still to commit in the writer turn after a conflict
        self.on_commit: Callable[[str], None] | None = None  # told the log id after a commit
        self._redactions_at = -1  # the registry size this head last applied redactions at
        self.catch_up(progress)
        # the payloads erased when the head was folded (it folded those entries as redacted)
        self._redactions_folded = 0 if registry is None else len(store.recorder.redactions())
        check_stored_tree(
            store.recorder, self.signer.verifier_key, self.signer.origin, self.head.frontier
        )
        self.apply_redactions()
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

    def subject_events(self, subject: str) -> list[EntryRecorded]:
        """Every stored entry of one subject of this log, in version order."""
        return self.store.subject_events(subject)

    def read_lock(self) -> threading.Lock:
        """Held while the in-memory state changes; hold it to read a consistent state."""
        return self._lock

    def catch_up(self, progress: Progress | None = None) -> None:
        """Replay entries other writers (or earlier runs) stored since this head's size."""
        if self.registry is not None:
            self.registry.sync()  # the keys this log's new entries were accepted on
        with self._lock:
            self._replay(self.head, self.store.recorder.log_size(), progress)

    def _replay(self, head: LogHead, target: int, progress: Progress | None = None) -> None:
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
                except Exception as error:  # any: start-up says which entry, in one line
                    raise LedgerCorruptedError(
                        f"entry {stored.index} of log {self.log_id} cannot be replayed:"
                        f" {type(error).__name__}: {error}"
                    ) from error
            self.subject_map.replay(heads, head.size)  # a fold again from 0 ends the same
            if progress is not None:
                progress(head.size, target)

    # Redactions ----------------------------------------------------------------------------

    def apply_redactions(self) -> None:
        """Erase the payloads the registry says are redacted that this log's store still
        holds, and fold the log again from the store when any redaction is new to this
        process, so its memory keeps nothing of an erased payload (docs/rules.md).

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
        erased = self.store.recorder.redactions()
        erased_now = False
        for redaction in wanted:
            if redaction.index not in erased and redaction.index < self.head.size:
                erased_now |= self.store.recorder.erase_payload(redaction.index, redaction.entry)
        if erased_now or len(wanted) > self._redactions_folded:
            head = LogHead(self.log_id, registry)
            self._replay(head, self.head.size)
            with self._lock:
                self.head = head
            self._redactions_folded = len(wanted)
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
        """Stop the writer (the store is shared with other logs: `Logs.close` closes it)."""
        self._committer.close()

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
        self.apply_redactions()
        if all(not request.submissions for request in group):
            pass  # a `sync`: catch up in the turn below
        elif self._contended == 0:
            try:
                self._try_commit(group, unlocked=True)
                return
            except StoreConflictError:
                self.conflict_retries += 1
                self._contended = CONTENDED_GROUPS
        else:
            self._contended -= 1
        with self.store.recorder.writer_turn() as size:
            if size > self.head.size:
                self.catch_up()
            for _ in range(MAX_CONFLICT_RETRIES):
                try:
                    self._try_commit(group)
                    return
                except StoreConflictError:
                    self.conflict_retries += 1
                    self.catch_up()
        for request in group:
            request.fail(StoreConflictError("too many concurrent writers; try again"))

    def _try_commit(self, group: list[Request], unlocked: bool = False) -> None:
        """Fold the group on a fork of the head and store what it accepted. `unlocked`: not in
        the writer turn, so the head may be stale: a group that stores entries meets another
        writer's entries as a conflict, and one that stores nothing (all refused, resubmitted,
        or a `sync`) answers nothing on a stale head's word: when another process appended
        meanwhile it is retried in the turn (StoreConflictError), caught up."""
        txn = self.head.fork()
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
            )
            self.store.append(list(new.values()), batch)
            with self._lock:
                txn.commit()
                self.subject_map.committed(change)
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
