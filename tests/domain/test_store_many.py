"""`Base.get_many` and `Layered.get_many`: the same values as one `get` per key, whatever the
cache holds, with what it misses read in one call of a loader's `many`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import given
from hypothesis import strategies as st

from domain.store import Base, Layered

STORED = {n: f"v{n}" for n in range(0, 40, 3)}  # the loader's values; other keys are absent


class Counting:
    def __init__(self, with_many: bool) -> None:
        self.calls: list[object] = []
        if with_many:
            self.many = self._many

    def __call__(self, name: str, key: object) -> object | None:
        self.calls.append(key)
        return STORED.get(key)  # type: ignore[call-overload]

    def _many(self, name: str, keys: Sequence[object]) -> Mapping[object, object]:
        self.calls.append(tuple(keys))
        return {k: STORED[k] for k in keys if k in STORED}  # type: ignore[index]


@given(
    capacity=st.integers(0, 6),
    warm=st.lists(st.integers(0, 40), max_size=10),
    asked=st.lists(st.integers(0, 40), max_size=20, unique=True),
    above=st.dictionaries(st.integers(0, 40), st.text(max_size=3), max_size=5),
    with_many=st.booleans(),
)
def test_get_many_equals_a_get_per_key(
    capacity: int,
    warm: list[int],
    asked: list[int],
    above: dict[int, str],
    with_many: bool,
) -> None:
    loader = Counting(with_many)
    base = Base[int, str]("m", loader, capacity)
    for key in warm:
        base.get(key)
    layered = Layered[int, str](base=base).new_child()
    layered.update(above)
    expected = [above[k] if k in above else STORED.get(k) for k in asked]
    loader.calls.clear()
    assert layered.get_many(asked) == expected
    assert layered.get_many(asked) == expected  # again, from whatever the cache kept
    if with_many:
        assert all(isinstance(call, tuple) for call in loader.calls)  # never one key at a time


def test_what_the_cache_misses_is_read_in_one_call() -> None:
    loader = Counting(with_many=True)
    base = Base[int, str]("m", loader, 100)
    base.get(3)
    loader.calls.clear()
    assert base.get_many([0, 3, 6, 7]) == ["v0", "v3", "v6", None]
    assert loader.calls == [(0, 6, 7)]  # 3 was cached
    assert base.get_many([0, 6, 7]) == ["v0", "v6", None]
    assert loader.calls == [(0, 6, 7)]  # the absent 7 is cached too
