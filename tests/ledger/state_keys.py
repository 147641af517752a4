"""Every key a folded state holds in each of its maps (for comparing two folds value by value)."""

from __future__ import annotations

from dataclasses import fields

from domain.state import LedgerState
from domain.store import Stores

LEGACY_CHAINS = ("agency_requests", "agency_flags")  # whole-log chains, never persisted


def every_key(state: LedgerState) -> dict[str, set[object]]:
    """Each map's keys over all of the state's layers (not those only its loader knows)."""
    stores: Stores = state._stores
    found: dict[str, set[object]] = {}
    for f in fields(stores):
        if f.name in LEGACY_CHAINS:
            continue
        layer = getattr(stores, f.name)
        keys: set[object] = set()
        while layer is not None:
            keys.update(layer.own)
            layer = layer.parent
        found[f.name] = keys
    return found
