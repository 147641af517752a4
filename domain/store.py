"""Copy-on-write maps behind LedgerState: layered dicts of immutable values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Generic, TypeVar, overload

from domain.aggregates import (
    Aggregate,
    Annotation,
    Complaint,
    Employee,
    Evaluation,
    Key,
    Org,
    Policy,
    Unit,
)
from domain.aggregates import Request as WfaRequest
from domain.entry import Flag
from domain.reader import Changes, DayKey, WeekKey

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
_MISSING = object()


class Layered(Generic[K, V]):
    """A copy-on-write map: reads fall through to the parent layer, writes stay in this one.

    Like `collections.ChainMap` for the few operations the state needs, but a lookup costs one
    dict probe per layer instead of ChainMap's generic Python-level scan.
    """

    __slots__ = ("own", "parent")

    def __init__(self, parent: Layered[K, V] | None = None) -> None:
        self.own: dict[K, V] = {}
        self.parent = parent

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
        return default

    def __setitem__(self, key: K, value: V) -> None:
        self.own[key] = value

    def update(self, other: Mapping[K, V]) -> None:
        self.own.update(other)

    def new_child(self) -> Layered[K, V]:
        return Layered(self)

    def values(self) -> Iterable[V]:
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
    """A subject's kind, owning organisation and its steps in log order."""

    kind: str
    agency: str
    steps: tuple[Step, ...]


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
    subjects: Layered[str, SubjectLog]
    agency_requests: Layered[str, Chain[str]]
    agency_flags: Layered[str, Chain[tuple[Flag, datetime]]]

    @classmethod
    def empty(cls) -> Stores:
        return cls(*(Layered() for _ in fields(cls)))

    def fork(self) -> Stores:
        return Stores(*(getattr(self, f.name).new_child() for f in fields(self)))

    def merge_into(self, parent: Stores) -> None:
        """Write this layer's changes into the parent's top layer and empty this layer."""
        for f in fields(self):
            mine: Layered[object, object] = getattr(self, f.name)
            theirs: Layered[object, object] = getattr(parent, f.name)
            theirs.own.update(mine.own)
            mine.own.clear()

    def apply(self, changes: Changes) -> None:
        """Write a handler's changes into this layer (the top map of each layered map)."""
        for name in _APPLIED:
            new: dict[object, object] = getattr(changes, name)
            if new:
                target: Layered[object, object] = getattr(self, name)
                target.update(new)


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
)
