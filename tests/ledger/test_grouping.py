"""Adaptive group commit: idle, a lone request goes at once; under load, arrivals join one group
up to the policy's bound. Time and the queue are injected, so nothing here is timed."""

from __future__ import annotations

import queue
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledger.grouping import GroupPolicy, gather

POLICY = GroupPolicy(max_wait=0.002, gap=0.0005, max_entries=50)


@dataclass
class Item:
    name: str
    submissions: Sequence[object] = (None,)


@dataclass
class Script:
    """A queue whose items arrive at scripted times on a fake clock; records every wait."""

    arrivals: list[tuple[float, Item | None]]
    now: float = 0.0
    waits: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def get_nowait(self) -> Item | None:
        if self.arrivals and self.arrivals[0][0] <= self.now:
            return self.arrivals.pop(0)[1]
        raise queue.Empty

    def get(self, block: bool = True, timeout: float | None = None) -> Item | None:
        assert timeout is not None  # the writer never blocks without a bound while grouping
        self.waits.append(timeout)
        if self.arrivals and self.arrivals[0][0] <= self.now + timeout:
            self.now = max(self.now, self.arrivals[0][0])
            return self.arrivals.pop(0)[1]
        self.now += timeout
        raise queue.Empty


def names(items: Sequence[Item]) -> list[str]:
    return [item.name for item in items]


def test_a_lone_request_on_an_idle_writer_is_committed_without_waiting() -> None:
    script = Script(arrivals=[(0.0001, Item("late"))])
    group = gather(Item("first"), script, loaded=False, policy=POLICY, clock=script.clock)
    assert names(group.requests) == ["first"]
    assert script.waits == []  # not even a short wait was asked
    assert script.now == 0.0


def test_requests_already_waiting_join_the_group_without_waiting_when_idle() -> None:
    script = Script(arrivals=[(0.0, Item("b")), (0.0, Item("c"))])
    group = gather(
        Item("a"), script, loaded=True, policy=GroupPolicy(max_wait=0.0), clock=script.clock
    )
    assert names(group.requests) == ["a", "b", "c"]
    assert script.waits == []


def test_under_load_arrivals_join_one_group_until_the_bound() -> None:
    # one request every 0.3 ms, for 6 ms: only those within 2 ms of the first join its group
    arrivals = [(0.0003 * i, Item(f"r{i}")) for i in range(1, 21)]
    script = Script(arrivals=list(arrivals))
    group = gather(Item("r0"), script, loaded=True, policy=POLICY, clock=script.clock)
    assert names(group.requests) == [f"r{i}" for i in range(7)]  # r6 at 1.8 ms; r7 at 2.1 ms
    assert all(wait <= POLICY.gap for wait in script.waits)
    assert script.now <= POLICY.max_wait
    assert names([item for _, item in script.arrivals if item]) == [f"r{i}" for i in range(7, 21)]


def test_under_load_the_group_closes_when_arrivals_pause_for_the_gap() -> None:
    script = Script(arrivals=[(0.0002, Item("b")), (0.0004, Item("c")), (0.0015, Item("d"))])
    group = gather(Item("a"), script, loaded=True, policy=POLICY, clock=script.clock)
    assert names(group.requests) == ["a", "b", "c"]  # d came 1.1 ms after c: a gap too long
    assert script.now == 0.0004 + POLICY.gap


def test_several_waiting_make_the_writer_wait_for_more_even_after_an_idle_spell() -> None:
    script = Script(arrivals=[(0.0, Item("b")), (0.0003, Item("c"))])
    group = gather(Item("a"), script, loaded=False, policy=POLICY, clock=script.clock)
    assert names(group.requests) == ["a", "b", "c"]


def test_a_group_stops_at_the_entry_bound() -> None:
    big = Item("big", submissions=[None] * 40)
    script = Script(arrivals=[(0.0, big), (0.0, Item("x", [None] * 20)), (0.0, Item("y"))])
    group = gather(Item("a", [None] * 5), script, loaded=True, policy=POLICY, clock=script.clock)
    assert names(group.requests) == ["a", "big", "x"]  # 65 entries reach the bound of 50
    assert names([item for _, item in script.arrivals if item]) == ["y"]


def test_the_shutdown_marker_closes_the_group() -> None:
    script = Script(arrivals=[(0.0, Item("b")), (0.0, None), (0.0, Item("after"))])
    group = gather(Item("a"), script, loaded=True, policy=POLICY, clock=script.clock)
    assert names(group.requests) == ["a", "b"]
    assert group.closing
