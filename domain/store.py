"""Copy-on-write maps behind LedgerState: layered dicts of immutable values over a loader."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar, overload

from domain.aggregates import (
    Aggregate,
    Annotation,
    Complaint,
    Employee,
    Evaluation,
    Key,
    Org,
    Policy,
    Presence,
    Unit,
)
from domain.aggregates import Request as WfaRequest
from domain.flags import Flag
from domain.reader import Changes, DayKey, Month, MonthKey, PresenceKey, WeekKey, WorkTime

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
_MISSING = object()
DEFAULT_CAPACITY = 50_000


class Loader(Protocol):
    """Where a map's values come from when no layer holds them (the writer's store).

    Called with the map's name and the key; returns the value or None for an absent key.
    """

    def __call__(self, name: str, key: object) -> object | None: ...


class Base(Generic[K, V]):
    """The bottom layer of a map: a bounded LRU cache of settled values in front of a loader.

    Absent keys are cached too (as None), so a repeated miss costs one load. The writer's
    thread and its readers share it: a lock keeps the cache whole, and a load and its caching
    happen under it, so a value settled meanwhile is never overwritten by an older read.
    """

    __slots__ = ("cache", "capacity", "loader", "lock", "name")

    def __init__(self, name: str, loader: Loader, capacity: int = DEFAULT_CAPACITY) -> None:
        self.name = name
        self.loader = loader
        self.capacity = capacity
        self.cache: OrderedDict[K, V | None] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: K, default: object = None) -> object:
        cache = self.cache
        with self.lock:
            if key in cache:
                cache.move_to_end(key)
                found = cache[key]
            else:
                found = self.loader(self.name, key)  # type: ignore[assignment]
                self._keep(key, found)
        return default if found is None else found

    def get_many(self, keys: Sequence[K]) -> list[V | None]:
        """The values of `keys` (None: absent), what the cache misses read in one call of the
        loader's `many(name, keys) -> {key: value}` where it has one (a key not in its answer
        is absent), else one call per key."""
        cache = self.cache
        with self.lock:
            result: dict[K, V | None] = {}
            missing: list[K] = []
            for key in keys:
                if key in cache:
                    cache.move_to_end(key)
                    result[key] = cache[key]
                else:
                    missing.append(key)
            if missing:
                many = getattr(self.loader, "many", None)
                if many is None:
                    found = {key: self.loader(self.name, key) for key in missing}
                else:
                    found = many(self.name, missing)
                for key in missing:
                    value: V | None = found.get(key)  # type: ignore[assignment]
                    self._keep(key, value)
                    result[key] = value
            return [result[key] for key in keys]

    def put(self, values: Mapping[K, V]) -> None:
        with self.lock:
            for key, value in values.items():
                self._keep(key, value)

    def absent(self, key: K) -> None:
        """Cache `key` as absent: the caller knows the store holds no value for it."""
        with self.lock:
            self._keep(key, None)

    def _keep(self, key: K, value: V | None) -> None:
        cache = self.cache
        cache[key] = value
        cache.move_to_end(key)
        if len(cache) > self.capacity:
            cache.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.cache.clear()


class Layered(Generic[K, V]):
    """A copy-on-write map: reads fall through to the parent layer, writes stay in this one.

    Like `collections.ChainMap` for the few operations the state needs, but a lookup costs one
    dict probe per layer instead of ChainMap's generic Python-level scan. The bottom layer may
    have a `Base` below it, which loads what no layer holds.
    """

    __slots__ = ("base", "own", "parent")

    def __init__(self, parent: Layered[K, V] | None = None, base: Base[K, V] | None = None) -> None:
        self.own: dict[K, V] = {}
        self.parent = parent
        self.base: Base[K, V] | None = base if parent is None else parent.base

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: T) -> V | T: ...
    def get(self, key: K, default: object = None) -> object:
        layer: Layered[K, V] | None = self
        while layer is not None:
            found = layer.own.get(key, _MISSING)
            if found is not _MISSING:
                return found
            layer = layer.parent
        if self.base is not None:
            return self.base.get(key, default)
        return default

    def get_many(self, keys: Sequence[K]) -> list[V | None]:
        """The values of `keys` (None: absent): the layers first, then the base at once."""
        found: list[V | None] = []
        below: list[K] = []
        for key in keys:
            layer: Layered[K, V] | None = self
            value: object = _MISSING
            while layer is not None and value is _MISSING:
                value = layer.own.get(key, _MISSING)
                layer = layer.parent
            if value is _MISSING:
                below.append(key)
                found.append(None)
            else:
                found.append(value)  # type: ignore[arg-type]
        if below and self.base is not None:
            loaded = dict(zip(below, self.base.get_many(below), strict=True))
            return [
                loaded.get(key) if key in loaded else value
                for key, value in zip(keys, found, strict=True)
            ]
        return found

    def __setitem__(self, key: K, value: V) -> None:
        self.own[key] = value

    def update(self, other: Mapping[K, V]) -> None:
        self.own.update(other)

    def new_child(self) -> Layered[K, V]:
        return Layered(self)

    def values(self) -> Iterable[V]:
        """Every value held in the layers (not those only the loader knows)."""
        layers: list[dict[K, V]] = []
        layer: Layered[K, V] | None = self
        while layer is not None:
            layers.append(layer.own)
            layer = layer.parent
        merged: dict[K, V] = {}
        for own in reversed(layers):
            merged.update(own)
        return merged.values()


@dataclass(frozen=True)
class Chain(Generic[T]):
    """A persistent singly linked list: prepending shares the tail, O(1)."""

    head: T
    tail: Chain[T] | None

    def __iter__(self) -> Iterator[T]:
        node: Chain[T] | None = self
        while node is not None:
            yield node.head
            node = node.tail


@dataclass(frozen=True)
class Step:
    """One entry of a subject, with the aggregate value it left and the flags it raised."""

    index: int
    integrated_at: datetime
    value: Aggregate | None
    flags: tuple[Flag, ...]
    annotation: Annotation | None


@dataclass(frozen=True)
class SubjectLog:
    """A subject's kind, owning organisation and the number of its steps. The steps are
    values of their own (`Stores.subject_steps`, by subject and ordinal), so a subject's next
    step adds one value instead of copying its history (a presence stream gains one a day)."""

    kind: str
    agency: str
    count: int


@dataclass
class Stores:
    """One layered map per kind of state; a fork is a new child layer of each."""

    orgs: Layered[str, Org]
    keys: Layered[str, Key]
    policies: Layered[str, Policy]
    units: Layered[str, Unit]
    employees: Layered[str, Employee]
    requests: Layered[str, WfaRequest]
    evaluations: Layered[str, Evaluation]
    complaints: Layered[str, Complaint]
    unit_staff: Layered[str, frozenset[str]]
    unit_members: Layered[str, frozenset[str]]
    location_days: Layered[DayKey, frozenset[tuple[str, str]]]
    employee_weeks: Layered[WeekKey, frozenset[tuple[date, str]]]
    presence_days: Layered[PresenceKey, Presence]
    work_times: Layered[WeekKey, frozenset[WorkTime]]
    last_work_weeks: Layered[str, tuple[int, int]]
    employee_months: Layered[MonthKey, frozenset[str]]
    request_spans: Layered[str, tuple[Month, Month]]
    evaluated: Layered[str, frozenset[str]]
    evaluations_judged: Layered[str, date]
    kinds: Layered[str, str]
    subjects: Layered[str, SubjectLog]
    subject_steps: Layered[tuple[str, int], Step]
    agency_requests: Layered[str, Chain[str]]
    agency_flags: Layered[str, Chain[tuple[Flag, datetime]]]

    @classmethod
    def empty(
        cls,
        loader: Loader | None = None,
        capacity: int = DEFAULT_CAPACITY,
        persisted: tuple[str, ...] = (),
    ) -> Stores:
        """Empty maps; with a loader, the `persisted` ones (default PERSISTED) read what they
        miss from it through a bounded cache."""
        maps: list[Any] = []
        for f in fields(cls):
            base = None
            if loader is not None and f.name in (persisted or PERSISTED):
                base = Base[object, object](f.name, loader, capacity)
            maps.append(Layered[object, object](base=base))
        return cls(*maps)

    def _persisted(self) -> Iterator[tuple[str, Layered[object, object]]]:
        for name in STORE_NAMES:
            layer: Layered[object, object] = getattr(self, name)
            if layer.base is not None:
                yield name, layer

    def fork(self) -> Stores:
        return Stores(*[getattr(self, name).new_child() for name in STORE_NAMES])

    def merge_into(self, parent: Stores) -> None:
        """Write this layer's changes into the parent's top layer and empty this layer (an
        entry touches a few of the maps: the others are passed over)."""
        for name in STORE_NAMES:
            mine: Layered[object, object] = getattr(self, name)
            if mine.own:
                getattr(parent, name).own.update(mine.own)
                mine.own.clear()

    def dirty(self) -> dict[str, dict[object, object]]:
        """This layer's changes to the persisted maps, by map name (not copied)."""
        return {name: layer.own for name, layer in self._persisted() if layer.own}

    def settle(self) -> None:
        """Move this (root) layer's changes into the caches below it, once they are stored."""
        for _, layer in self._persisted():
            if layer.own:
                assert layer.base is not None
                layer.base.put(layer.own)
                layer.own = {}

    def forget(self) -> None:
        """Drop every cached value and unsettled change: the store holds another state."""
        for _, layer in self._persisted():
            assert layer.base is not None
            layer.base.clear()
            layer.own = {}

    def cached(self) -> int:
        """Values held in the bounded caches (the working set's size, for tests and benches)."""
        return sum(len(layer.base.cache) for _, layer in self._persisted() if layer.base)

    def apply(self, changes: Changes) -> None:
        """Write a handler's changes into this layer (the top map of each layered map)."""
        for name in _APPLIED:
            new: dict[object, object] = getattr(changes, name)
            if new:
                target: Layered[object, object] = getattr(self, name)
                target.update(new)


STORE_NAMES = tuple(f.name for f in fields(Stores))
"""The maps of `Stores`, in field order (read once: `dataclasses.fields` costs per call)."""

_APPLIED = (
    "orgs",
    "keys",
    "policies",
    "units",
    "employees",
    "requests",
    "evaluations",
    "complaints",
    "unit_staff",
    "unit_members",
    "location_days",
    "employee_weeks",
    "presence_days",
    "work_times",
    "last_work_weeks",
    "employee_months",
    "request_spans",
    "evaluated",
    "evaluations_judged",
)

PERSISTED = (*_APPLIED, "kinds")
"""The maps a state with a loader persists: aggregates, index maps and each subject's kind;
with its steps kept, each subject's steps too (`WITH_STEPS`). The agency chains (every request
and flag of an agency, for the legacy whole-log reads) are kept only in memory."""

WITH_STEPS = (*PERSISTED, "subjects", "subject_steps")
