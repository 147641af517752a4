"""RegistryState: the registry log's fold (orgs, keys, redactions), seen as of a prefix."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from domain.aggregates import Key, Org
from domain.entry import Entry, Recorded
from domain.errors import (
    DomainError,
    EntryOutOfOrderError,
    ForkConflictError,
    ImpossibleTransition,
    UnknownEventType,
)
from domain.event_data import OPERATOR_EVENTS, EntryRedacted
from domain.events import OPERATOR
from domain.handlers import HANDLERS
from domain.reader import Changes, StateReader
from domain.rules.keys import check_genesis, check_signing_keys
from domain.rules.subjects import check_org_registered, check_subject_kind, kind_of
from domain.store import Layered


@dataclass(frozen=True)
class KeyRecord:
    """A key as registered at registry index `registered`, and its revocation if any."""

    key: Key
    registered: int
    revoked: int | None = None  # registry index of the revocation


@dataclass(frozen=True)
class Redaction:
    """An operator's `entry.redacted`: entry `index` of `log` lost its payload, on `basis`."""

    log: str
    index: int
    basis: str
    reason: str
    entry: int  # registry index of the redaction
    at: datetime  # when the registry integrated it


class RegistryView:
    """The organisations and keys among the first `size` registry entries."""

    __slots__ = ("_state", "size")

    def __init__(self, state: RegistryState, size: int) -> None:
        self._state = state
        self.size = size

    def org(self, org_id: str) -> Org | None:
        found = self._state._orgs.get(org_id)
        return found[1] if found is not None and found[0] < self.size else None

    def key(self, keyid: str) -> Key | None:
        """The key as this prefix knew it: its revocation only if that came before `size`."""
        record = self._state._keys.get(keyid)
        if record is None or record.registered >= self.size:
            return None
        if record.revoked is not None and record.revoked < self.size:
            return record.key
        if record.key.revoked_at is None:
            return record.key
        return replace(record.key, revoked_at=None, revoke_reason=None)


class RegistryState:
    """Every organisation, key and redaction of the registry log, folded entry by entry."""

    def __init__(self, *, allow_gaps: bool = False) -> None:
        """`allow_gaps` replays a selection of the registry log (a bundle carries only the
        organisations and keys its entries need): indexes rise but may skip."""
        self._allow_gaps = allow_gaps
        self._orgs: Layered[str, tuple[int, Org]] = Layered()
        self._keys: Layered[str, KeyRecord] = Layered()
        self._redactions: Layered[tuple[str, int], Redaction] = Layered()
        self._kinds: Layered[str, str] = Layered()
        self._parent: RegistryState | None = None
        self._size = 0
        self._last: datetime | None = None
        self._version = 0
        self._base_version = 0

    # -- the fold -------------------------------------------------------------------------

    def record(self, entry: Entry) -> Recorded:
        """Check the operator event's rules; if none refuses, apply it and say what it did."""
        self._check_order(entry)
        event = entry.event
        if event.type not in OPERATOR_EVENTS:
            raise UnknownEventType(f"{event.type} does not belong to the registry log")
        current = self.view(self._size)
        if self._size == 0:
            check_genesis(entry)
        else:
            check_signing_keys(entry, current.key, current.org)
        kind = kind_of(event.type)
        check_subject_kind(event.subject, self._kinds.get(event.subject), event.type)
        changes = Changes()
        if isinstance(event.data, EntryRedacted):
            self._redact(entry, event.data, current)
        else:
            HANDLERS[event.type](cast(StateReader, _CurrentReader(self)), entry, changes)
        self._apply(entry, changes)
        self._kinds[event.subject] = kind
        return Recorded(kind, changes.value, ())

    def _redact(self, entry: Entry, data: EntryRedacted, current: RegistryView) -> None:
        org = check_org_registered(data.log, current.org(data.log))
        if org.kind != "agency":
            raise ImpossibleTransition(f"{data.log!r} is a {org.kind}, which keeps no log")
        if self._redactions.get((data.log, data.index)) is not None:
            raise ImpossibleTransition(f"entry {data.index} of {data.log} is already redacted")
        self._redactions[(data.log, data.index)] = Redaction(
            data.log, data.index, data.basis, data.reason, entry.index, entry.integrated_at
        )

    def _check_order(self, entry: Entry) -> None:
        if self._allow_gaps and entry.index > self._size:
            self._size = entry.index
        if entry.index != self._size:
            raise EntryOutOfOrderError(f"entry {entry.index} recorded at log size {self._size}")
        at = entry.integrated_at
        if at.tzinfo is None:
            raise EntryOutOfOrderError(f"entry {entry.index} has a naive integrated_at")
        if self._last is not None and at < self._last:
            raise EntryOutOfOrderError(f"entry {entry.index} integrated before its predecessor")

    def _apply(self, entry: Entry, changes: Changes) -> None:
        for org_id, org in changes.orgs.items():
            self._orgs[org_id] = (entry.index, org)
        for keyid, key in changes.keys.items():
            known = self._keys.get(keyid)
            if known is None:
                self._keys[keyid] = KeyRecord(key, entry.index)
            else:
                self._keys[keyid] = KeyRecord(key, known.registered, entry.index)
        self._size += 1
        self._last = entry.integrated_at
        self._version += 1

    # -- forks ----------------------------------------------------------------------------

    def fork(self) -> RegistryState:
        """A cheap child whose records reach this state only on `commit`."""
        child = RegistryState.__new__(RegistryState)
        child._allow_gaps = self._allow_gaps
        child._orgs = self._orgs.new_child()
        child._keys = self._keys.new_child()
        child._redactions = self._redactions.new_child()
        child._kinds = self._kinds.new_child()
        child._parent = self
        child._size, child._last = self._size, self._last
        child._version = child._base_version = self._version
        return child

    def commit(self) -> None:
        parent = self._parent
        if parent is None:
            raise DomainError("only a fork can be committed")
        if parent._version != self._base_version:
            raise ForkConflictError("the parent recorded entries after this fork was taken")
        pairs: list[tuple[Layered[Any, Any], Layered[Any, Any]]] = [
            (self._orgs, parent._orgs),
            (self._keys, parent._keys),
            (self._redactions, parent._redactions),
            (self._kinds, parent._kinds),
        ]
        for mine, theirs in pairs:
            theirs.own.update(mine.own)
            mine.own.clear()
        parent._size, parent._last, parent._version = self._size, self._last, self._version
        self._base_version = self._version

    # -- reads ----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    @property
    def last_integrated_at(self) -> datetime | None:
        return self._last

    def view(self, size: int | None = None) -> RegistryView:
        """The registry as its first `size` entries (default: all of them) stood."""
        return RegistryView(self, self._size if size is None else min(size, self._size))

    def org(self, org_id: str) -> Org | None:
        return self.view().org(org_id)

    def key(self, keyid: str) -> Key | None:
        return self.view().key(keyid)

    def key_record(self, keyid: str) -> KeyRecord | None:
        return self._keys.get(keyid)

    def keys(self) -> list[KeyRecord]:
        """Every key ever registered, in registration order."""
        return sorted(self._keys.values(), key=lambda record: record.registered)

    def all_keys(self) -> list[Key]:
        """Every key ever registered, revoked or not (as they stand now)."""
        return [record.key for record in self.keys()]

    def orgs(self) -> list[Org]:
        return [org for _, org in sorted(self._orgs.values(), key=lambda found: found[0])]

    def org_entry(self, org_id: str) -> int | None:
        """The registry index that registered the organisation."""
        found = self._orgs.get(org_id)
        return None if found is None else found[0]

    def redaction(self, log: str, index: int) -> Redaction | None:
        return self._redactions.get((log, index))

    def redactions_of(self, log: str) -> list[Redaction]:
        """Every redaction of an entry of `log`, in registry order."""
        found = [r for r in self._redactions.values() if r.log == log]
        return sorted(found, key=lambda redaction: redaction.entry)

    def public_key(self, keyid: str) -> bytes | None:
        record = self._keys.get(keyid)
        return None if record is None else record.key.public_key


class _CurrentReader:
    """The StateReader the operator handlers see: the registry as it stands, nothing else."""

    def __init__(self, state: RegistryState) -> None:
        self._view = state.view()
        self.size = state.size

    def org(self, org_id: str) -> Org | None:
        return self._view.org(org_id)

    def key(self, keyid: str) -> Key | None:
        return self._view.key(keyid)

    def __getattr__(self, name: str) -> object:
        raise DomainError(f"an operator event may not read {name}")


__all__ = ["OPERATOR", "KeyRecord", "Redaction", "RegistryState", "RegistryView"]
