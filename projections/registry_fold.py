"""The registry log folded for the read models: the organisations and keys every agency log's
fold decides its entries' keys on (at each entry's `registry_size`)."""

from __future__ import annotations

import threading

from domain.registry import RegistryState
from ledger.store import LogStore
from projections.decode import to_entry
from projections.follower import ProjectionError

CHUNK = 1000


class RegistryFold:
    """A RegistryState caught up from the registry log's store on demand."""

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self.state = RegistryState()
        self._lock = threading.Lock()

    def agencies(self) -> list[str]:
        """The agency logs, in registration order, as the registry log holds them now."""
        self.catch_up()
        return [org.id for org in self.state.orgs() if org.kind == "agency"]

    def at_least(self, size: int) -> None:
        """Hold at least `size` registry entries (an agency entry rests on that prefix)."""
        if self.state.size < size:
            self.catch_up(size)

    def catch_up(self, needed: int | None = None) -> None:
        """Fold the registry log up to its stored size (which must reach `needed`)."""
        recorder = self.store.recorder
        with self._lock:
            target = recorder.log_size()
            while self.state.size < target:
                start = self.state.size
                for stored in recorder.entries(start, min(target, start + CHUNK)):
                    self.state.record(to_entry(self.store.decode(stored)))
                if self.state.size == start:
                    raise ProjectionError(f"registry entry {start} is missing from the store")
            if needed is not None and self.state.size < needed:
                raise ProjectionError(
                    f"an entry rests on {needed} registry entries; the registry log has {target}"
                )
