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


CHECKING = "memeriksa entri (tanda tangan, bukti, rantai, pemutaran ulang aturan)"


@pytest.mark.usefixtures("every_record")
def test_verification_shows_each_phase_over_itself_then_ends_its_line(genuine: Genuine) -> None:
    stream = _Terminal()
    total = _verify(genuine, stream)
    assert total > 1
    text = stream.getvalue()
    assert text.startswith(f"\r{CHECKING}: 1/{total}")
    assert f"\r{CHECKING}: {total}/{total}\n" in text
    assert text.endswith("menyusun laporan…\n")
    assert text.count("\n") == 2  # the reading phase of a small file says nothing


def test_reading_a_large_file_shows_megabytes_read() -> None:
    stream = _Terminal()
    phases = TerminalPhases(stream, "en")
    size = 5 * progress.READ_AT_LEAST
    for position in range(0, size + 1, size // 10):
        phases("reading", position, size)
    text = stream.getvalue()
    assert text.startswith("\rreading the file: 0.0/5.0 MB")
    assert text.endswith("\rreading the file: 5.0/5.0 MB\n")


@pytest.mark.usefixtures("every_record")
def test_nothing_is_written_off_a_terminal(genuine: Genuine) -> None:
    stream = io.StringIO()
    _verify(genuine, stream)
    assert stream.getvalue() == ""


def test_small_bundles_report_nothing() -> None:
    stream = _Terminal()
    phases = TerminalPhases(stream)
    small = progress.EVERY - 1
    for done in range(1, small + 1):
        phases("checking", done, small)
    phases("finishing", 0, 1)
    assert stream.getvalue() == ""


def test_large_bundles_report_at_most_steps_lines_per_phase() -> None:
    stream = _Terminal()
    phases = TerminalPhases(stream, "en")
    total = progress.EVERY * 10
    for done in range(1, total + 1):
        phases("checking", done, total)
    reports = stream.getvalue().split("\r")[1:]
    assert len(reports) <= progress.STEPS + 1
    assert reports[-1] == (
        f"checking entries (signatures, proofs, chains, rule replay): {total}/{total}\n"
    )
