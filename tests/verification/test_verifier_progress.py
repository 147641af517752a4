"""The verifier names each long phase on a terminal, and writes nothing to a pipe or a file."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from tests.verification.fixtures.genuine import Genuine, build_genuine
from verification import parallel, progress
from verification.bundle import parse_bundle
from verification.progress import TerminalPhases
from verification.verifier import verify_bundle


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


@pytest.fixture
def every_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "EVERY", 1)


def _phases(g: Genuine, stream: io.StringIO, workers: int) -> list[str]:
    bundle = parse_bundle(json.loads(json.dumps(g.bundle)))
    result = verify_bundle(bundle, g.log_key, workers=workers, phases=TerminalPhases(stream))
    assert result.ok
    total = len(bundle.entries)
    assert total > 1
    lines = stream.getvalue().split("\n")
    assert lines[-1] == ""
    return [line.rsplit("\r", 1)[-1] for line in lines[:-1] if line.endswith(f"/{total}")]


@pytest.mark.usefixtures("every_entry")
def test_serial_verification_shows_checking_then_replaying(genuine: Genuine) -> None:
    stream = _Terminal()
    total = len(genuine.bundle["entries"])
    assert _phases(genuine, stream, 1) == [
        f"checking: {total}/{total}",
        f"replaying: {total}/{total}",
    ]
    assert f"\rchecking: 1/{total}" in stream.getvalue()


@pytest.mark.usefixtures("every_entry")
def test_parallel_verification_shows_the_joint_phase(
    genuine: Genuine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 0)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    total = len(genuine.bundle["entries"])
    assert _phases(genuine, _Terminal(), 2) == [f"checking and replaying: {total}/{total}"]


@pytest.mark.usefixtures("every_entry")
def test_nothing_is_written_off_a_terminal(genuine: Genuine) -> None:
    stream = io.StringIO()
    bundle = parse_bundle(json.loads(json.dumps(genuine.bundle)))
    verify_bundle(bundle, genuine.log_key, workers=1, phases=TerminalPhases(stream))
    assert stream.getvalue() == ""


def test_small_bundles_report_nothing() -> None:
    stream = _Terminal()
    phases = TerminalPhases(stream)
    for done in range(1, progress.EVERY):
        phases("checking", done, progress.EVERY - 1)
    phases("checking", progress.EVERY, progress.EVERY)
    assert stream.getvalue() == f"\rchecking: {progress.EVERY}/{progress.EVERY}\n"
