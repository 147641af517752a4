"""Opening a ledger from settings: the store, the keys, the genesis entry."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.keyfiles import load_or_create_log_key, load_or_create_operator_key
from ledger.ledger import Clock, Ledger, Progress, utc_now
from ledger.operator import Operator
from ledger.private_files import private_dir
from ledger.settings import Settings
from ledger.signing import CheckpointSigner, EnvelopeSigner
from ledger.start_lock import start_lock
from ledger.store import open_store, store_environment


@dataclass
class Runtime:
    """An opened ledger with its operator and the log's verifier key."""

    settings: Settings
    ledger: Ledger
    operator: Operator
    log_verifier_key: str

    def close(self) -> None:
        self.ledger.close()


def open_runtime(
    settings: Settings, clock: Clock = utc_now, progress: Progress | None = None
) -> Runtime:
    """Open the store, create the operator and log keys on first start, write the genesis entry."""
    private_dir(settings.data_dir)
    # servers starting at once: one creates the keys, tables and genesis, the others wait
    with start_lock(store_environment(settings.database_url)):
        store = open_store(settings.database_url)
        try:
            entries = store.recorder.log_size()
            log_key = load_or_create_log_key(
                settings.log_key_file, settings.origin, settings.log_key, entries
            )
            checkpoint_signer = CheckpointSigner(settings.origin, log_key)
            operator_signer = EnvelopeSigner(
                load_or_create_operator_key(settings.operator_key_file, entries)
            )
            ledger = Ledger(store, checkpoint_signer, clock=clock, progress=progress)
        except BaseException:
            store.close()
            raise
        try:
            operator = Operator(ledger, operator_signer, clock)
            operator.bootstrap()
        except BaseException:
            ledger.close()
            raise
    return Runtime(settings, ledger, operator, checkpoint_signer.verifier_key)
