"""`jejak` with the subject map switched off, for bench/append.py's comparison only.

`JEJAK_BENCH_SUBJECT_MAP=off python -m bench.append ...` serves through this module instead of
`api.cli`: the writer then keeps, writes and signs no subject map, so the difference of the two
runs is what the map costs an append. Not a product setting: the product always keeps the map.
(The patch runs on import, so a `spawn`ed worker process, which re-imports this main module,
runs without the map too.)"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.records import SubjectMapBatch
from ledger.subject_map import LogSubjectMap, MapCommit
from verification.subject_map import MapChange, SubjectHead


def _no_replay(self: LogSubjectMap, heads: Sequence[SubjectHead], size: int) -> None:
    pass


def _no_batch(
    self: LogSubjectMap, heads: Iterable[SubjectHead], size: int
) -> tuple[SubjectMapBatch | None, MapCommit]:
    return None, MapCommit(size, MapChange())


def _no_commit(self: LogSubjectMap, commit: MapCommit) -> None:
    pass


def _never_missing(self: LogSubjectMap, size: int, checkpoint_size: int | None) -> bool:
    return False


LogSubjectMap.replay = _no_replay  # type: ignore[method-assign]
LogSubjectMap.batch = _no_batch  # type: ignore[method-assign,assignment]
LogSubjectMap.store_if_missing = _never_missing  # type: ignore[method-assign]
LogSubjectMap.committed = _no_commit  # type: ignore[method-assign]

if __name__ == "__main__":
    from api.cli import main

    main()
