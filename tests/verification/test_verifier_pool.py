"""Entries checked by worker processes give the outcome of one process, whatever the bundle:
the same verdict, failures, partial reasons and reports on the genuine bundles, on every named
damage and on hostile input; the same one-line error on unusable input and on a failure inside
a worker (never a wait); progress as before; a bounded number of chunks out at a time."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from tests.verification.bundle2_builder import Ledger2, period_bundle
from tests.verification.bundle2_damage import CASES
from tests.verification.fixtures.damage import DAMAGES
from tests.verification.fixtures.genuine import Genuine, build_genuine
from tests.verification.fixtures.hostile import deep_payload, injected, leaf_instant
from verification import cli, facts, pool, progress
from verification.errors import WorkerError, unexpected
from verification.outcome import COMPLETE, FAILED
from verification.progress import TerminalPhases
from verification.report import render_json, render_text
from verification.verifier import verify_stream

Found = tuple[object, ...]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two lines and a pool for any bundle: the fixtures span many chunks, logs
    start inside chunks and chunks wait on the registry's keys."""
    monkeypatch.setattr(pool, "LEAST_RECORDS", 0)
    monkeypatch.setattr(pool, "CHUNK_LINES", 2)


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A test that waits on a pool for two minutes fails instead of waiting for ever."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the verifier waited on its workers for 120 s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome_of(
    data: bytes, log_key: str, trusted: tuple[str, ...] = (), workers: int = 1, every: bool = False
) -> Found:
    """Everything a verification says: verdict, exit status, failures with their details,
    partial reasons, both reports in both languages; or the unusable input's error."""
    try:
        outcome = verify_stream(
            io.BytesIO(data), log_key, trusted, workers=workers, every_subject=every
        )
    except Exception as error:  # unusable input (or a bug): its kind and its one line
        return ("raised", type(error).__name__, str(error))
    try:
        failures = [(f.log, f.index, f.reason, f.detail, str(f)) for f in outcome.failures]
        reports = [
            render(outcome, lang) for render in (render_json, render_text) for lang in ["id", "en"]
        ]
        return (outcome.verdict, outcome.exit_code, failures, outcome.partial, *reports)
    finally:
        outcome.replay.close()


def same_with_workers(
    data: bytes, log_key: str, trusted: tuple[str, ...] = (), every: bool = False
) -> Found:
    """The outcome of one process, after checking that 2 and 3 workers give it too."""
    alone = outcome_of(data, log_key, trusted, 1, every)
    assert outcome_of(data, log_key, trusted, 2, every) == alone
    assert outcome_of(data, log_key, trusted, 3, every) == alone
    return alone


def test_the_genuine_bundles_verify_the_same(genuine: Genuine, ledger: Ledger2) -> None:
    found = same_with_workers(genuine.bundle.lines(), genuine.log_key)
    assert found[0] == COMPLETE
    period = same_with_workers(period_bundle(ledger).lines(), ledger.log_key, every=True)
    assert period[0] == COMPLETE
    assert len(period_bundle(ledger).records) >= 10 * pool.CHUNK_LINES


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_named_case_verifies_the_same(name: str) -> None:
    built = CASES[name]()
    found = same_with_workers(built.bundle.lines(), built.ledger.log_key, built.trusted)
    assert found[0] != "raised"


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_each_ledger_damage_is_refused_the_same(
    name: str, genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES[name](genuine, tmp_path)
    found = same_with_workers(damaged.bundle.lines(), genuine.log_key, damaged.trusted)
    assert found[0] == FAILED
    assert any(f[:3] == (damaged.log, damaged.index, damaged.reason) for f in found[2])  # type: ignore[attr-defined]


def test_hostile_payloads_verify_the_same(genuine: Genuine) -> None:
    for bundle in (injected(genuine)[0], deep_payload(genuine)[0]):
        same_with_workers(bundle.lines(), genuine.log_key)
    found = same_with_workers(
        leaf_instant(genuine, "9999-12-31T23:59:59-23:59").lines(), genuine.log_key
    )
    assert found[:2] == ("raised", "BundleFormatError")


def _lines(ledger: Ledger2) -> list[bytes]:
    return period_bundle(ledger).lines().split(b"\n")


BROKEN: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "a line that is no JSON": lambda lines: [*lines[:9], b"{not json},", *lines[9:]],
    "a record of no known kind": lambda lines: [
        *lines[:9],
        b'{"record":"x","log":"y"},',
        *lines[9:],
    ],
    "an entry of another log amid a group": lambda lines: [
        *lines[:9],
        lines[3].replace(b'"log":"operator"', b'"log":"elsewhere"', 1),
        *lines[9:],
    ],
    "a missing comma": lambda lines: [*lines[:9], lines[9].removesuffix(b","), *lines[10:]],
    "the end cut off": lambda lines: lines[:-5],
    "text after the end": lambda lines: [*lines, b"more"],
    "the last record followed by a comma": lambda lines: [*lines[:-2], lines[-2] + b",", lines[-1]],
    "an entry line deeply nested": lambda lines: [
        *lines[:9],
        b'{"record":"head","log":"operator","subject":"x","proof":'
        + b"[" * 100
        + b"]" * 100
        + b"},",
        *lines[9:],
    ],
    "a lone surrogate in a leaf": lambda lines: [
        *lines[:5],
        lines[5].replace(b'"subject":"', b'"subject":"\\ud800', 1),
        *lines[6:],
    ],
    "a line of binary": lambda lines: [*lines[:12], b"{\xff\xfe},", *lines[12:]],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_unusable_input_is_the_same_one_line(name: str, ledger: Ledger2) -> None:
    data = b"\n".join(BROKEN[name](_lines(ledger)))
    found = same_with_workers(data, ledger.log_key)
    assert found[0] in ("raised", FAILED), found[:4]


def test_an_entry_too_late_in_its_group_is_the_same_error(ledger: Ledger2) -> None:
    lines = _lines(ledger)
    at = next(n for n, line in enumerate(lines) if b'"record":"range"' in line)
    moved = [*lines[:at], lines[at + 1], lines[at], *lines[at + 2 :]]  # an entry after the range
    found = same_with_workers(b"\n".join(moved), ledger.log_key)
    assert found[0] in ("raised", FAILED)


def _write(tmp_path: Path, data: bytes, log_key: str) -> tuple[str, str]:
    bundle, key = tmp_path / "bundle.json", tmp_path / "log.key"
    bundle.write_bytes(data)
    key.write_text(log_key + "\n")
    return str(bundle), str(key)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["verify", *args])
    out, err = capsys.readouterr()
    return status, out, err


def _breaks_on_approvals(leaf: Any) -> bytes:
    if getattr(leaf, "version", 0) >= 2:
        raise ZeroDivisionError("a bug met in a leaf")
    return _canonical(leaf)


_canonical = facts.leaf_canonical


def test_a_bug_inside_a_worker_is_the_same_one_line_error(
    ledger: Ledger2,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle, key = _write(tmp_path, period_bundle(ledger).lines(), ledger.log_key)
    monkeypatch.setattr(facts, "leaf_canonical", _breaks_on_approvals)
    alone = _cli(capsys, bundle, "--log-key", key, "--workers", "1")
    pooled = _cli(capsys, bundle, "--log-key", key, "--workers", "2")
    assert pooled == alone
    status, out, err = pooled
    assert (status, out) == (2, "")
    assert err.startswith("verify: internal error, nothing verified: ZeroDivisionError: a bug met")
    assert err.count("\n") == 1
    assert "test_verifier_pool.py" in err  # where it was raised, as one process tells it


def _dies(keys: dict[str, bytes], lines: list[tuple[int, bytes]]) -> bytes:
    os._exit(3)


def test_a_worker_that_dies_is_an_error_not_a_wait(
    ledger: Ledger2,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle, key = _write(tmp_path, period_bundle(ledger).lines(), ledger.log_key)
    monkeypatch.setattr(pool, "check_chunk", _dies)
    status, out, err = _cli(capsys, bundle, "--log-key", key, "--workers", "2")
    assert (status, out) == (2, "")
    assert err.startswith("verify: internal error, nothing verified: BrokenProcessPool")
    assert err.count("\n") == 1


def test_the_worker_error_is_told_as_the_worker_told_it() -> None:
    try:
        raise KeyError("x")
    except KeyError as error:
        told = unexpected(error)
    assert unexpected(WorkerError(told)) == told


def test_workers_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["verify", "x", "--log-key", "k", "--workers", "0"])
    assert stopped.value.code == 2
    assert "'0' is not a number of processes >= 1" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_the_same(
    ledger: Ledger2, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "EVERY", 1)
    data = period_bundle(ledger).lines()
    shown = []
    for workers in (1, 2):
        stream = _Terminal()
        outcome = verify_stream(
            io.BytesIO(data), ledger.log_key, phases=TerminalPhases(stream, "en"), workers=workers
        )
        outcome.replay.close()
        shown.append(stream.getvalue())
    assert shown[1] == shown[0]
    total = len(period_bundle(ledger).records)
    assert f"{total}/{total}\n" in shown[0]


def test_at_most_in_flight_chunks_per_worker_are_out(
    ledger: Ledger2, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool holds a bounded number of chunks (memory), however long the bundle."""
    out, most, sent = [0], [0], [0]
    submit, loads = ProcessPoolExecutor.submit, pool._loads

    def counted_submit(self: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        out[0] += 1
        sent[0] += 1
        most[0] = max(most[0], out[0])
        return submit(self, *args, **kwargs)

    def counted_loads(data: bytes) -> Any:
        out[0] -= 1
        return loads(data)

    monkeypatch.setattr(pool, "CHUNK_LINES", 1)
    monkeypatch.setattr(ProcessPoolExecutor, "submit", counted_submit)
    monkeypatch.setattr(pool, "_loads", counted_loads)
    outcome = verify_stream(io.BytesIO(period_bundle(ledger).lines()), ledger.log_key, workers=2)
    outcome.replay.close()
    assert outcome.verdict == COMPLETE
    assert sent[0] > 4 * pool.IN_FLIGHT  # the bound was met, more than twice over
    assert most[0] == pool.IN_FLIGHT * 2
