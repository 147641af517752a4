"""Copy-on-write maps behind LedgerState: ChainMaps over dicts of immutable values."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Generic, TypeVar

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
    """One ChainMap per kind of state; a fork is a new child layer of each."""

    orgs: ChainMap[str, Org]
    keys: ChainMap[str, Key]
    policies: ChainMap[str, Policy]
    units: ChainMap[str, Unit]
    employees: ChainMap[str, Employee]
    requests: ChainMap[str, WfaRequest]
    evaluations: ChainMap[str, Evaluation]
    complaints: ChainMap[str, Complaint]
    unit_staff: ChainMap[str, frozenset[str]]
    location_days: ChainMap[DayKey, frozenset[tuple[str, str]]]
    employee_weeks: ChainMap[WeekKey, frozenset[tuple[date, str]]]
    subjects: ChainMap[str, SubjectLog]
    agency_requests: ChainMap[str, Chain[str]]
    agency_flags: ChainMap[str, Chain[tuple[Flag, datetime]]]

    @classmethod
    def empty(cls) -> Stores:
        return cls(*(ChainMap() for _ in fields(cls)))

    def fork(self) -> Stores:
        return Stores(*(getattr(self, f.name).new_child() for f in fields(self)))

    def merge_into(self, parent: Stores) -> None:
        """Write this layer's changes into the parent's top layer and empty this layer."""
        for f in fields(self):
            mine: ChainMap[object, object] = getattr(self, f.name)
            theirs: ChainMap[object, object] = getattr(parent, f.name)
            theirs.maps[0].update(mine.maps[0])
            mine.maps[0].clear()

    def apply(self, changes: Changes) -> None:
        """Write a handler's changes into this layer (the top map of each ChainMap)."""
        for name in _APPLIED:
            new: dict[object, object] = getattr(changes, name)
            if new:
                target: ChainMap[object, object] = getattr(self, name)
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
    "location_days",
    "employee_weeks",
)
