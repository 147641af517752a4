"""Worker processes change nothing but the speed: same verdict, failures and report as serial."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import verification.verifier as verifier_module
from tests.verification.fixtures.damage import DAMAGES
from tests.verification.fixtures.genuine import Genuine, build_genuine
from verification import parallel
from verification.bundle import parse_bundle
from verification.parallel import ProcessSignaturePool
from verification.report import render_json
from verification.verifier import Verification, verify_bundle


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


class _CountingPool(ProcessSignaturePool):
    """The verifier's pool, counting the pools that really started worker processes."""

    started = 0

    def __enter__(self) -> ProcessSignaturePool:
        pool = super().__enter__()
        if self._executor is not None:
            _CountingPool.started += 1
        return pool


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes even for tiny bundles, two signatures a chunk, one chunk queued per worker."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 0)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    monkeypatch.setattr(parallel, "IN_FLIGHT", 1)
    monkeypatch.setattr(verifier_module, "ProcessSignaturePool", _CountingPool)


def _outcome(result: Verification) -> tuple[object, ...]:
    failures = [(type(f).__name__, f.index, f.reason, str(f)) for f in result.failures]
    entries = [(c.entry.index, c.keyids, c.failed, c.event) for c in result.entries]
    replay = result.replay
    replayed = None if replay is None else (replay.flags, replay.skipped, replay.events)
    return (result.ok, failures, entries, result.redacted, replayed, render_json(result))


def _both(g: Genuine, bundle: dict[str, object], trusted: str | None) -> tuple[object, object]:
    text = json.dumps(bundle)
    serial = verify_bundle(parse_bundle(json.loads(text)), g.log_key, trusted, workers=1)
    started = _CountingPool.started
    parallel_ = verify_bundle(parse_bundle(json.loads(text)), g.log_key, trusted, workers=2)
    assert _CountingPool.started == started + 1, "the parallel run stayed in process"
    return _outcome(serial), _outcome(parallel_)


@pytest.mark.usefixtures("small_chunks")
def test_genuine_bundle_gets_the_same_report_in_parallel(genuine: Genuine) -> None:
    serial, parallel_ = _both(genuine, genuine.bundle, None)
    assert serial == parallel_
    assert serial[0] is True


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_damaged_bundle_gets_the_same_failures_in_parallel(
    name: str, genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES[name](genuine, tmp_path)
    serial, parallel_ = _both(genuine, damaged.bundle, damaged.trusted)
    assert serial == parallel_
    assert serial[0] is False
    assert (damaged.reason, damaged.index) in {(f[2], f[1]) for f in serial[1]}  # type: ignore[index, attr-defined]


def test_small_bundle_or_one_worker_stays_in_process() -> None:
    assert not parallel.use_processes(2, parallel.MIN_PARALLEL - 1)
    assert not parallel.use_processes(1, 10 * parallel.MIN_PARALLEL)


def test_pool_hands_back_outcomes_in_order_with_a_bounded_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from verification.signatures import SignatureJob

    monkeypatch.setattr(parallel, "CHUNK", 3)
    monkeypatch.setattr(parallel, "IN_FLIGHT", 1)
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    public = key.public_key().public_bytes_raw()
    jobs = []
    for n in range(40):
        message = f"m{n}".encode()
        signature = key.sign(message) if n % 7 else key.sign(b"other")
        jobs.append(SignatureJob(n, "k", public, signature, message))
    with ProcessSignaturePool(2) as pool:
        seen = []
        for job in jobs:
            pool.add(job)
            assert pool.queued <= parallel.IN_FLIGHT * 2  # bounded, however many jobs come
            seen.extend(pool.ready())
        seen.extend(pool.rest())
    assert [(job.index, ok) for job, ok in seen] == [(n, n % 7 != 0) for n in range(40)]


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_each_start_method_gives_the_serial_report(
    method: str, genuine: Genuine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    monkeypatch.setattr(parallel, "process_context", lambda: multiprocessing.get_context(method))
    damaged = DAMAGES["signature-from-another-key"](genuine, tmp_path)
    serial, parallel_ = _both(genuine, damaged.bundle, damaged.trusted)
    assert serial == parallel_
