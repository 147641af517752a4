"""The verifier names its long phase on a terminal, and writes nothing to a pipe or a file."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from tests.verification.fixtures.genuine import Genuine, build_genuine
from verification import progress
from verification.progress import TerminalPhases
from verification.verifier import verify_stream


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


@pytest.fixture
def every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "EVERY", 1)


def _verify(g: Genuine, stream: io.StringIO) -> int:
    """Verify the genuine bundle reporting to `stream`; the number of its records."""
    outcome = verify_stream(io.BytesIO(g.bundle.lines()), g.log_key, phases=TerminalPhases(stream))
    assert outcome.ok
    return len(g.bundle.records)


@pytest.mark.usefixtures("every_record")
def test_verification_shows_checking_over_itself_then_ends_the_line(genuine: Genuine) -> None:
    stream = _Terminal()
    total = _verify(genuine, stream)
    assert total > 1
    text = stream.getvalue()
    assert text.startswith(f"\rchecking: 1/{total}")
    assert text.endswith(f"\rchecking: {total}/{total}\n")
    assert text.count("\n") == 1


@pytest.mark.usefixtures("every_record")
def test_nothing_is_written_off_a_terminal(genuine: Genuine) -> None:
    stream = io.StringIO()
    _verify(genuine, stream)
    assert stream.getvalue() == ""


def test_small_bundles_report_nothing() -> None:
    stream = _Terminal()
    phases = TerminalPhases(stream)
    for done in range(1, progress.EVERY):
        phases("checking", done, progress.EVERY - 1)
    phases("checking", progress.EVERY, progress.EVERY)
    assert stream.getvalue() == f"\rchecking: {progress.EVERY}/{progress.EVERY}\n"
