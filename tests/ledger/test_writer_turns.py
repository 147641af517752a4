"""Two ledgers on one PostgreSQL schema writing one log: nothing is lost or refused.

Each writer commits without the log's lock until it meets the other's entries (a conflict:
nothing stored, the group retried caught up); from then on it takes turns under the lock, so
once both do, neither conflicts again. A log normally has one writing process (`--workers`
routes it), where no conflict happens at all."""

from __future__ import annotations

import threading
from pathlib import Path

from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from tests.support import AGENCY, HEAD, World, payload, unit_payload

PER_WRITER = 30


def _open(url: str, data_dir: Path) -> Runtime:
    """A runtime of its own on the shared store and data directory (keys), as a second server
    process would open it."""
    return open_runtime(
        Settings.from_env({"JEJAK_DATA_DIR": str(data_dir), "JEJAK_DATABASE_URL": url})
    )


def _append_concurrently(world: World, runtimes: list[Runtime]) -> None:
    errors: list[BaseException] = []

    def write(runtime: Runtime, writer: int) -> None:
        ledger = runtime.logs.log(AGENCY)
        try:
            for i in range(PER_WRITER):
                shared = payload(
                    "entry.annotated", "shared-unit", HEAD, {"entry": 0, "note": f"{writer}.{i}"}
                )
                own = unit_payload(f"unit-{writer}-{i}")
                ledger.append([ledger.prepare(world.agency_signer.sign(p)) for p in (shared, own)])
        except BaseException as error:  # reported below, with the writer that failed
            errors.append(error)

    threads = [threading.Thread(target=write, args=(r, n)) for n, r in enumerate(runtimes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_postgres_writers_of_one_log_lose_nothing_and_take_turns(
    postgres_url: str, tmp_path: Path
) -> None:
    first = _open(postgres_url, tmp_path)
    world = World(first).setup()
    shared = world.agency_signer.sign(unit_payload("shared-unit"))
    first.logs.log(AGENCY).append([first.logs.log(AGENCY).prepare(shared)])
    second = _open(postgres_url, tmp_path)
    try:
        _append_concurrently(world, [first, second])
        retries = [r.logs.log(AGENCY).conflict_retries for r in (first, second)]
        assert sum(retries) < PER_WRITER, retries  # turns, not a conflict per group
        for runtime in (first, second):
            runtime.logs.log(AGENCY).sync()
        assert first.logs.log(AGENCY).size == second.logs.log(AGENCY).size
        view = first.logs.log(AGENCY).agency_state.subject_view("shared-unit")
        assert view is not None
        assert len(view.indexes) == 1 + 2 * PER_WRITER
    finally:
        second.close()
        first.close()
