"""Every log of the ledger: the registry log and one log per agency, each with its own writer.

An envelope goes to the log its payload names: the operator's events to the registry log, any
other event to the log of its payload's `agency`. Each log has its own writer thread, tree,
checkpoints and store (`ledger.placement`), so appends to different logs commit in parallel and
one log's failures never stall another. A log's writer is opened on its first use in this
process: a process replays only the logs it is asked about.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from domain.errors import UnknownOrganisation
from domain.event_data import OPERATOR_EVENTS
from domain.events import Event, parse_payload
from domain.registry import RegistryState
from ledger.errors import EnvelopeOutOfBoundsError, NotFoundError, UnsupportedPayloadTypeError
from ledger.head import Submission
from ledger.integrity import check_stored_tree
from ledger.ledger import Clock, Ledger, Progress, Receipt, utc_now
from ledger.placement import REGISTRY_LOG, Stores
from ledger.signers import check_known_signatures
from ledger.signing import CheckpointSigner, log_origin
from verification.dsse import PAYLOAD_TYPE, Envelope, parse_envelope


class BatchSpansLogsError(EnvelopeOutOfBoundsError):
    """A batch whose envelopes belong to more than one log (HTTP 422): each log commits on
    its own, so a batch's all-or-nothing holds within one log."""

    rule = "batch-spans-logs"


def _parsed(obj: object) -> tuple[Envelope, Event]:
    """A decoded envelope's shape and payload, checked."""
    envelope = parse_envelope(obj)
    if envelope.payload_type != PAYLOAD_TYPE:
        raise UnsupportedPayloadTypeError(
            f"payloadType must be {PAYLOAD_TYPE!r}, not {envelope.payload_type!r}"
        )
    return envelope, parse_payload(envelope.payload)


def log_of(event_type: str, agency: str) -> str:
    """The log an event belongs to (DESIGN §4)."""
    return REGISTRY_LOG if event_type in OPERATOR_EVENTS else agency


class Logs:
    """The registry log's writer and the agency logs' writers this process has opened."""

    def __init__(
        self,
        stores: Stores,
        signer: CheckpointSigner,
        clock: Clock = utc_now,
        progress: Progress | None = None,
    ) -> None:
        self.stores = stores
        self.signer = signer
        self.clock = clock
        self.registry = Ledger(
            REGISTRY_LOG, stores.log(REGISTRY_LOG), signer, None, clock, progress
        )
        self._agencies: dict[str, Ledger] = {}
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []
        self.registry.on_commit = self._committed

    def on_commit(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call `listener(log_id)` after each commit of any log (the read models' wake-up);
        returns what stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _committed(self, log_id: str) -> None:
        for listener in list(self._listeners):
            listener(log_id)

    @property
    def registry_state(self) -> RegistryState:
        state = self.registry.state
        assert isinstance(state, RegistryState)
        return state

    def ids(self) -> list[str]:
        """Every log: the registry log first, then each agency's in registration order."""
        self.registry.sync()
        agencies = [org.id for org in self.registry_state.orgs() if org.kind == "agency"]
        return [REGISTRY_LOG, *agencies]

    def exists(self, log_id: str) -> bool:
        if log_id == REGISTRY_LOG:
            return True
        org = self.registry_state.org(log_id)
        if org is None:
            self.registry.sync()  # registered by another process since
            org = self.registry_state.org(log_id)
        return org is not None and org.kind == "agency"

    def log(self, log_id: str) -> Ledger:
        """The writer of a log, opened (and caught up) on its first use; NotFoundError when
        there is no such log."""
        if log_id == REGISTRY_LOG:
            return self.registry
        with self._lock:
            opened = self._agencies.get(log_id)
        if opened is not None:
            return opened
        if not self.exists(log_id):
            raise NotFoundError(f"there is no log {log_id!r}")
        with self._lock:
            opened = self._agencies.get(log_id)
            if opened is None:
                opened = Ledger(
                    log_id, self.stores.log(log_id), self.signer, self.registry, self.clock
                )
                opened.on_commit = self._committed
                self._agencies[log_id] = opened
            return opened

    def check_stored_trees(self, progress: Progress | None = None) -> None:
        """Check every agency log's latest checkpoint against its stored tree (O(log n) rows
        each, no replay): a damaged log refuses the start-up, not a request hours later. A
        log's writer checks again, against its replayed leaves, when it is opened."""
        agencies = self.ids()[1:]
        for done, log_id in enumerate(agencies, 1):
            recorder = self.stores.log(log_id).recorder
            check_stored_tree(
                recorder, self.signer.verifier_key, log_origin(self.signer.name, log_id), ()
            )
            if progress is not None:
                progress(done, len(agencies))

    def open_all(self, progress: Progress | None = None) -> None:
        """Open (replay and check) every agency log now: a server that will serve them all
        refuses to start on a log it cannot replay, rather than failing its first request."""
        agencies = self.ids()[1:]
        for done, log_id in enumerate(agencies, 1):
            self.log(log_id)
            if progress is not None:
                progress(done, len(agencies))

    def opened(self) -> list[Ledger]:
        with self._lock:
            return [self.registry, *self._agencies.values()]

    # Appending -----------------------------------------------------------------------------

    def prepare(self, obj: object) -> Submission:
        """Check an envelope's shape, payload and the signatures by already known keys, and
        say which log it goes to (`Submission.log`)."""
        envelope, event = _parsed(obj)
        named, verified = check_known_signatures(self.registry_state, envelope, event)
        return Submission.of(named, event, verified)

    @staticmethod
    def prepared(obj: object, verified: Sequence[str]) -> Submission:
        """An envelope another process of this server checked with `prepare` and passed on
        with every keyid named (`--writers`, api/routing.py): its shape and payload are parsed
        again (the writer folds the event), its signatures by the keys in `verified` are not
        verified again; the writer still checks every key's rules and verifies the rest."""
        envelope, event = _parsed(obj)
        return Submission.of(envelope, event, frozenset(verified))

    def writer_of(self, submissions: Sequence[Submission]) -> Ledger:
        """The one log a request's submissions go to."""
        logs = {log_of(s.event.type, s.event.agency) for s in submissions}
        if len(logs) > 1:
            raise BatchSpansLogsError(
                f"a batch goes to one log; these envelopes belong to {', '.join(sorted(logs))}"
            )
        (log_id,) = logs
        try:
            return self.log(log_id)
        except NotFoundError:
            raise UnknownOrganisation(
                f"{log_id!r} is not a registered agency, so it keeps no log"
            ) from None

    def append(self, submissions: Sequence[Submission]) -> list[Receipt]:
        """Integrate submissions of one log all or nothing; return once they are durable."""
        if not submissions:
            return []
        return self.writer_of(submissions).append(submissions)

    async def append_async(self, submissions: Sequence[Submission]) -> list[Receipt]:
        if not submissions:
            return []
        return await self.writer_of(submissions).append_async(submissions)

    def close(self) -> None:
        for ledger in reversed(self.opened()):
            ledger.close()
        self.stores.close()
