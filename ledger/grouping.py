"""Adaptive grouping: which waiting requests the writer commits together, and how long it waits."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

MAX_GROUP_ENTRIES = 2000


class Sized(Protocol):
    @property
    def submissions(self) -> Sequence[object]: ...


T = TypeVar("T", covariant=True)
R = TypeVar("R", bound=Sized)


class Arrivals(Protocol[T]):
    """Where requests arrive: `queue.SimpleQueue`'s two ways of taking one (None: closing)."""

    def get(self, block: bool = True, timeout: float | None = None) -> T | None: ...

    def get_nowait(self) -> T | None: ...


@dataclass(frozen=True)
class GroupPolicy:
    """Under load, hold a group open up to `max_wait` seconds after its first request, as long
    as each next request arrives within `gap` of the one before; idle, never wait."""

    max_wait: float = 0.002
    gap: float = 0.0005
    max_entries: int = MAX_GROUP_ENTRIES


DEFAULT_POLICY = GroupPolicy()


@dataclass
class Group(Generic[R]):
    """The requests taken for one commit; `closing` when the shutdown marker was met."""

    requests: list[R]
    closing: bool = False


def gather(
    first: R,
    arrivals: Arrivals[R],
    loaded: bool,
    policy: GroupPolicy = DEFAULT_POLICY,
    clock: Callable[[], float] = time.monotonic,
) -> Group[R]:
    """`first` and what is waiting behind it; when `loaded` (the last group held several
    requests) or several are waiting now, also what arrives within the policy's bounds.

    A lone request with nothing queued and an idle writer is committed at once: the wait is
    only ever asked of `arrivals` when other requests are already around."""
    group = Group([first])
    count = len(first.submissions)
    started = clock()
    while count < policy.max_entries:
        try:
            nxt = arrivals.get_nowait()
        except queue.Empty:
            if not (loaded or len(group.requests) > 1):
                break
            remaining = policy.max_wait - (clock() - started)
            if remaining <= 0:
                break
            try:
                nxt = arrivals.get(timeout=min(policy.gap, remaining))
            except queue.Empty:
                break
        if nxt is None:
            group.closing = True
            break
        group.requests.append(nxt)
        count += len(nxt.submissions)
    return group
