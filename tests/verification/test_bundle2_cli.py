"""`verify` on bundle/2 files: the exit status of each verdict, and the line layout enforced."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.domain.builders import AGENCY
from tests.verification.bundle2_builder import (
    NAME,
    ROOT,
    Bundle2,
    Ledger2,
    period_bundle,
)
from verification.cli import main


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", *args])
    return code, out.getvalue(), err.getvalue()


def test_complete_bundle_exits_0(ledger: Ledger2, tmp_path: Path) -> None:
    path = period_bundle(ledger).write(tmp_path / "b.json")
    code, out, _ = run(str(path), "--log-key", ledger.log_key)
    assert code == 0
    assert out.startswith("VERIFIED, COMPLETE — terverifikasi dan lengkap")
    assert "Klaim: seluruh entri log kab-a dalam periode 2026-12-01 s.d. 2026-12-01" in out
    code, out, _ = run(str(path), "--log-key", ledger.log_key, "--lang", "en")
    assert out.startswith("VERIFIED, COMPLETE — verified and complete")
    assert "Claim: every entry of log kab-a in the period 2026-12-01 to 2026-12-01" in out


def test_failed_bundle_exits_1_naming_log_index_and_reason(ledger: Ledger2, tmp_path: Path) -> None:
    path = period_bundle(ledger).drop(AGENCY, 9).write(tmp_path / "b.json")
    code, out, _ = run(str(path), "--log-key", ledger.log_key)
    assert code == 1
    assert out.startswith("FAILED")
    assert f"✗ log {AGENCY} entri 9: entri yang diperlukan klaim tidak ada dalam bundel" in out
    assert "(missing-entry: " in out
    code, out, _ = run(str(path), "--log-key", ledger.log_key, "--json")
    failure = json.loads(out)["failures"][0]
    assert (failure["log"], failure["index"], failure["reason"]) == (AGENCY, 9, "missing-entry")


def test_partial_bundle_exits_3_saying_what_is_not_established(
    ledger: Ledger2, tmp_path: Path
) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 10)
    record["payload"], record["missing"] = None, "withheld"
    code, out, _ = run(str(bundle.write(tmp_path / "b.json")), "--log-key", ledger.log_key)
    assert code == 3
    assert out.startswith("VERIFIED, PARTIAL")
    assert "Tidak dapat dipastikan:\n  – log kab-a: 1 muatan ditahan dari pembaca ini" in out
    code, out, _ = run(
        str(bundle.write(tmp_path / "b.json")), "--log-key", ledger.log_key, "--lang", "en"
    )
    assert "Could not be established:\n  – log kab-a: 1 payload(s) withheld" in out


def _pretty(bundle: Bundle2) -> bytes:
    return json.dumps(json.loads(bundle.lines()), indent=2).encode()


def _truncated(bundle: Bundle2) -> bytes:
    return bundle.lines().rsplit(b"]}", 1)[0]


def _no_comma(bundle: Bundle2) -> bytes:
    lines = bundle.lines().split(b"\n")
    lines[2] = lines[2].removesuffix(b",")
    return b"\n".join(lines)


def _two_on_a_line(bundle: Bundle2) -> bytes:
    lines = bundle.lines().split(b"\n")
    return b"\n".join([lines[0], lines[1] + lines[2], *lines[3:]])


def _comma_before_tail(bundle: Bundle2) -> bytes:
    return bundle.lines().replace(b"\n]}", b",\n]}")


def _text_after_tail(bundle: Bundle2) -> bytes:
    return bundle.lines() + b"{}\n"


BROKEN = {
    "pretty-printed": _pretty,
    "truncated": _truncated,
    "record-without-comma": _no_comma,
    "two-records-on-a-line": _two_on_a_line,
    "comma-before-tail": _comma_before_tail,
    "text-after-tail": _text_after_tail,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_layout_is_unusable(ledger: Ledger2, tmp_path: Path, name: str) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(BROKEN[name](period_bundle(ledger)))
    code, out, err = run(str(path), "--log-key", ledger.log_key)
    assert (code, out) == (2, "")
    assert err.startswith("verify: unusable bundle: ")
    assert len(err.splitlines()) == 1


def test_whole_reads_a_pretty_printed_bundle(ledger: Ledger2, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(_pretty(period_bundle(ledger)))
    assert run(str(path), "--log-key", ledger.log_key, "--whole")[0] == 0


def test_trusted_checkpoints_one_per_log(ledger: Ledger2, tmp_path: Path) -> None:
    bundle = period_bundle(ledger)
    registry = tmp_path / "operator.note"
    registry.write_text(ledger.checkpoint("operator"))
    agency = tmp_path / "agency.note"
    agency.write_text(ledger.checkpoint(AGENCY, size=3))
    path = bundle.write(tmp_path / "b.json")
    args = [str(path), "--log-key", ledger.log_key, "--trusted-checkpoint", str(registry)]
    assert run(*args)[0] == 0
    assert run(*args, "--trusted-checkpoint", str(agency))[0] == 1  # no proof from size 3


def test_trusted_checkpoint_of_another_key_is_unusable(ledger: Ledger2, tmp_path: Path) -> None:
    other = tmp_path / "other.note"
    other.write_text(Ledger2().checkpoint("operator"))
    path = period_bundle(ledger).write(tmp_path / "b.json")
    code, _, err = run(str(path), "--log-key", ledger.log_key, "--trusted-checkpoint", str(other))
    assert code == 2
    assert "trusted checkpoint does not verify" in err


def test_stdin_and_no_server_libraries(ledger: Ledger2) -> None:
    blocked = ["fastapi", "starlette", "uvicorn", "psycopg", "eventsourcing", "ledger", "api"]
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "from verification.cli import main\n"
        f"sys.exit(main(['verify', '-', '--log-key', {ledger.log_key!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=period_bundle(ledger).lines(),
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"VERIFIED, COMPLETE")


def test_origin_names_the_key_and_the_log(ledger: Ledger2) -> None:
    note = ledger.checkpoint(AGENCY)
    assert note.startswith(f"{NAME}/{AGENCY}\n")


def test_progress_is_reported_by_records(ledger: Ledger2, monkeypatch: pytest.MonkeyPatch) -> None:
    from verification import progress
    from verification.verifier import verify_stream

    monkeypatch.setattr(progress, "EVERY", 1)
    heard: list[tuple[str, int, int]] = []
    data = period_bundle(ledger).lines()
    verify_stream(io.BytesIO(data), ledger.log_key, phases=lambda *p: heard.append(p))
    total = data.count(b"\n") - 2
    checking = [(done, of) for phase, done, of in heard if phase == "checking"]
    assert checking == [(done, total) for done in range(1, total + 1)]
    phases = list(dict.fromkeys(phase for phase, _, _ in heard))
    assert phases == ["reading", "checking", "finishing"]
    reading = [(done, of) for phase, done, of in heard if phase == "reading"]
    assert reading[-1] == (len(data), len(data))
