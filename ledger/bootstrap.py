"""Opening a ledger from settings: the store, the keys, the genesis entry."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.keyfiles import load_or_create_log_key, load_or_create_operator_key
from ledger.ledger import Clock, Ledger, Progress, utc_now
from ledger.logs import Logs
from ledger.operator import Operator
from ledger.placement import REGISTRY_LOG, Placement, Stores
from ledger.private_files import private_dir
from ledger.settings import Settings
from ledger.signing import CheckpointSigner, EnvelopeSigner
from ledger.start_lock import start_lock
from ledger.store import store_environment


@dataclass
class Runtime:
    """The opened logs with their operator and the ledger's verifier key."""

    settings: Settings
    logs: Logs
    operator: Operator
    log_verifier_key: str

    @property
    def registry(self) -> Ledger:
        """The registry log's writer (organisations, keys, revocations, redactions)."""
        return self.logs.registry

    def close(self) -> None:
        self.logs.close()


def open_runtime(
    settings: Settings,
    clock: Clock = utc_now,
    progress: Progress | None = None,
    open_logs: bool = False,
) -> Runtime:
    """Open the stores, create the operator and log keys on first start, write the registry
    log's genesis entry. Agency logs are opened on first use (`Logs.log`), or all at once with
    `open_logs` (a server: a log it cannot replay refuses the start)."""
    private_dir(settings.data_dir)
    placement = Placement.load(settings.placement_file) if settings.placement_file else None
    first = placement.first if placement is not None else settings.database_url
    # servers starting at once: one creates the keys, tables and genesis, the others wait
    with start_lock(store_environment(first)):
        stores = Stores(first, placement)
        try:
            entries = stores.registry_store.log(REGISTRY_LOG).recorder.log_size()
            log_key = load_or_create_log_key(
                settings.log_key_file, settings.origin, settings.log_key, entries
            )
            checkpoint_signer = CheckpointSigner(settings.origin, log_key)
            operator_signer = EnvelopeSigner(
                load_or_create_operator_key(settings.operator_key_file, entries)
            )
            logs = Logs(stores, checkpoint_signer, clock=clock, progress=progress)
        except BaseException:
            stores.close()
            raise
        try:
            operator = Operator(logs.registry, operator_signer, clock)
            operator.bootstrap()
            if open_logs:  # each log replayed, then checked against its replayed tree
                logs.open_all(progress)
            else:
                logs.check_stored_trees()
        except BaseException:
            logs.close()
            raise
    return Runtime(settings, logs, operator, checkpoint_signer.verifier_key)
