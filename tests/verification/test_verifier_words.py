"""The verifier's report in plain words: Bahasa Indonesia by default, English with --lang en.

What was checked (with counts), the verdict and the claim, per claimed subject a timeline with
names and zone-labelled local times, the flags with their rule explained, the flags per rule,
what could not be established; on FAILED, no replayed state; the same in --json; progress on a
terminal (a pty) and nothing off one."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.verify import write_bundle
from tests.domain.builders import AGENCY as PERIOD_AGENCY
from tests.support import AGENCY
from tests.verification.bundle2_builder import Ledger2, period_bundle
from tests.verification.fixtures.damage import DAMAGES
from tests.verification.fixtures.genuine import REQUEST, Genuine, build_genuine
from verification.cli import main

ROOT = Path(__file__).resolve().parents[2]
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (WIB|WITA|WIT)")
BARE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")  # an RFC 3339 instant, unlabelled


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", *args])
    return code, out.getvalue(), err.getvalue()


def _subject(genuine: Genuine, tmp_path: Path, *args: str, heads: bool = True) -> tuple[int, str]:
    """The genuine subject bundle verified (COMPLETE), or without its head records (PARTIAL)."""
    bundle = genuine.bundle.copy()
    if not heads:
        bundle.records = [r for r in bundle.records if r["record"] != "head"]
    path = bundle.write(tmp_path / "b.json")
    code, out, err = run(str(path), "--log-key", genuine.log_key, *args)
    assert err == ""
    return code, out


def _timeline(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("  #")]


def test_indonesian_is_the_default(genuine: Genuine, tmp_path: Path) -> None:
    code, out = _subject(genuine, tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "VERIFIED, COMPLETE — terverifikasi dan lengkap: semua yang diklaim bundel terbukti"
    )
    assert "kepala rantai dibuktikan oleh catatan peta subjek" in out
    partial_code, partial = _subject(genuine, tmp_path, heads=False)
    assert partial_code == 3
    assert partial.splitlines()[0] == (
        "VERIFIED, PARTIAL — terverifikasi sebagian: semua yang ada lolos pemeriksaan, tetapi "
        "ada yang tidak dapat dipastikan (lihat di bawah)"
    )
    assert lines[1] == f"  Klaim: seluruh riwayat subjek {REQUEST} di log {AGENCY}"
    checked = lines[lines.index("Yang diperiksa:") + 1 :][:10]
    assert checked == [
        "  ✓ tanda tangan checkpoint oleh kunci log (2 log)",
        "  – konsistensi: tidak ada checkpoint tepercaya yang diberikan",
        "  ✓ hash daun dan hash muatan (14 entri, 14 muatan)",
        "  ✓ tanda tangan DSSE atas PAE (14 tanda tangan)",
        "  ✓ kunci penanda tangan terdaftar pada registri sebesar registry_size entri",
        "  ✓ inklusi di checkpoint tiap log (14 dengan bukti inklusi, 0 dalam rentang)",
        "  ✓ rantai subjek (versi 1, 2, 3, … dan prev per subjek)",
        "  ✓ kepala rantai terhadap catatan peta subjek yang ditandatangani (7 dibuktikan)",
        "  – rentang dan kelengkapan klaim (0 rentang)",
        "  ✓ pemutaran ulang aturan domain (14 entri diputar ulang, 0 tidak)",
    ]
    assert (
        f"Tidak dapat dipastikan:\n  – ujung rantai {REQUEST} di log {AGENCY} tidak terbukti"
        in partial
    )
    assert (
        "Penanda (per aturan):\n  Kuota unit terlampaui (unit-quota-exceeded): 2 — pegawai " in out
    )
    assert f"Subjek {REQUEST} (request), log {AGENCY}\n  status: Disetujui (approved)\n" in out


def test_the_timeline_names_people_and_labels_every_time_with_its_zone(
    genuine: Genuine, tmp_path: Path
) -> None:
    _, out = _subject(genuine, tmp_path)
    requested, approved = _timeline(out)
    assert "Permohonan fleksibel diajukan (wfa.requested) — oleh Siti Rahma (19870312" in requested
    assert "Permohonan disetujui (wfa.approved) — oleh Kepala Dinas (19750101" in approved
    assert "ditandatangani Kab Contoh (kab-contoh); kebijakan v1" in approved
    for line in (requested, approved):
        assert len(STAMP.findall(line)) == 2  # integrated and occurred, one zone
        assert len(set(STAMP.findall(line))) == 1
        assert not BARE.search(line)
    assert "⚑ Kuota unit terlampaui" in approved
    flag = next(line for line in out.splitlines() if line.startswith("  PENANDA"))
    assert flag.startswith(
        "  PENANDA Kuota unit terlampaui (unit-quota-exceeded), entri 7: pegawai unit yang "
        "fleksibel lokasi pada satu hari melebihi kuota persentase kebijakan; unit "
    )


def test_english_says_the_same(genuine: Genuine, tmp_path: Path) -> None:
    code, out = _subject(genuine, tmp_path, "--lang", "en")
    assert code == 0
    assert out.startswith("VERIFIED, COMPLETE — verified and complete")
    assert "chain heads proven by the subject-map note" in out
    partial = _subject(genuine, tmp_path, "--lang", "en", heads=False)[1]
    assert partial.startswith("VERIFIED, PARTIAL — verified but partial: everything present")
    assert f"  Claim: the whole history of {REQUEST} in log {AGENCY}\n" in out
    assert "What was checked:\n  ✓ checkpoint signatures by the log key (2 logs)\n" in out
    assert "  ✓ DSSE signatures over PAE (14 signatures)\n" in out
    assert f"Could not be established:\n  – the head of {REQUEST} in log {AGENCY} is not" in partial
    assert "  – chain heads against the signed subject-map note (0 proven)\n" in partial
    assert "Unit quota exceeded (unit-quota-exceeded): 2 — more of the unit's staff" in out
    requested, _ = _timeline(out)
    assert "Flexible work requested (wfa.requested) — by Siti Rahma (" in requested
    assert "  FLAG Unit quota exceeded (unit-quota-exceeded), entry 7: more of the unit's" in out
    assert _subject(genuine, tmp_path, "--lang", "id")[1] == _subject(genuine, tmp_path)[1]


def test_json_carries_the_same_content_under_stable_keys(genuine: Genuine, tmp_path: Path) -> None:
    _, out = _subject(genuine, tmp_path, "--json")
    report = json.loads(out)
    assert {
        "verdict",
        "exit",
        "ok",
        "lang",
        "verdict_text",
        "claim",
        "logs",
        "as_of",
        "checks",
        "failures",
        "not_established",
        "not_established_text",
        "state_reliable",
        "flags_per_rule",
        "subjects",
    } <= set(report)
    assert (report["verdict"], report["exit"], report["lang"]) == ("VERIFIED, COMPLETE", 0, "id")
    checks = {check["check"]: check for check in report["checks"]}
    assert list(checks) == [
        "checkpoints",
        "consistency",
        "leaves",
        "signatures",
        "keys",
        "inclusion",
        "chains",
        "heads",
        "ranges",
        "replay",
    ]
    assert checks["signatures"] | {"text": ""} == {
        "check": "signatures",
        "status": "passed",
        "failed": 0,
        "count": 14,
        "text": "",
    }
    assert checks["consistency"]["status"] == "not_checked"
    assert report["flags_per_rule"][0] | {"explained": ""} == {
        "rule": "unit-quota-exceeded",
        "name": "Kuota unit terlampaui",
        "explained": "",
        "count": 2,
    }
    [subject] = report["subjects"]
    step = subject["history"][1]
    assert step["type"] == "wfa.approved"
    assert step["actor_name"].startswith("Kepala Dinas (")
    assert STAMP.fullmatch(step["integrated_local"])
    assert STAMP.fullmatch(step["occurred_local"])
    assert step["flags"][0]["name"] == "Kuota unit terlampaui"
    english = json.loads(_subject(genuine, tmp_path, "--json", "--lang", "en")[1])
    assert english["flags_per_rule"][0]["name"] == "Unit quota exceeded"


def test_a_changed_payload_byte_fails_in_words_and_shows_no_replayed_state(
    genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES["payload-byte-changed"](genuine, tmp_path)
    path = damaged.bundle.write(tmp_path / "damaged.json")
    code, out, _ = run(str(path), "--log-key", genuine.log_key)
    assert code == 1
    assert out.startswith("FAILED — GAGAL: ada pemeriksaan yang tidak lolos")
    assert "  ✗ hash daun dan hash muatan (14 entri, 14 muatan) — 1 gagal\n" in out
    assert "  ✗ tanda tangan DSSE atas PAE" in out
    assert (
        f"  ✗ log {AGENCY} entri {damaged.index}: muatan diubah: SHA-256-nya bukan yang "
        "dijanjikan daun (payload-hash-mismatch: " in out
    )
    assert out.endswith(
        "Karena pemeriksaan gagal, keadaan hasil pemutaran ulang TIDAK DAPAT DIANDALKAN dan "
        "tidak ditampilkan.\n"
    )
    assert "status:" not in out
    assert "Penanda" not in out
    assert not _timeline(out)
    code, out, _ = run(str(path), "--log-key", genuine.log_key, "--json", "--lang", "en")
    report = json.loads(out)
    assert report["state_reliable"] is False
    assert report["flags_per_rule"] == []
    assert all(s["state"] is None and s["flags"] == [] for s in report["subjects"])
    [failure] = [f for f in report["failures"] if f["reason"] == "payload-hash-mismatch"]
    assert failure["check"] == "leaves"
    assert failure["explained"].startswith("the payload was changed")


def test_a_period_is_summarised_and_timelines_come_with_timeline(
    ledger: Ledger2, tmp_path: Path
) -> None:
    path = period_bundle(ledger).write(tmp_path / "p.json")
    code, out, _ = run(str(path), "--log-key", ledger.log_key, "--lang", "en")
    assert code == 0
    assert "Summary of the period:\n  Entries per event type:\n" in out
    assert "(wfa.requested)" in out
    assert "Each subject's timeline: run again with --timeline." in out
    assert not _timeline(out)
    code, out, _ = run(str(path), "--log-key", ledger.log_key, "--lang", "en", "--timeline")
    assert code == 0
    assert f"Subject req-1 (request), log {PERIOD_AGENCY}" in out
    assert _timeline(out)
    assert "--timeline" not in out


def _bundle_of(entries: int, directory: Path) -> tuple[Path, str]:
    path = directory / "large.json"
    with path.open("w", encoding="utf-8") as out:
        key = write_bundle(entries, out)
    return path, key


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A period bundle of 2,500 agency entries: past the size from which progress shows."""
    return _bundle_of(2500, tmp_path_factory.mktemp("large"))


def _verify_with_stderr_on(stderr: int, path: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verification", "verify", str(path), "--log-key", key],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        check=False,
        timeout=300,
    )


def test_progress_shows_every_phase_on_a_terminal(large: tuple[Path, str]) -> None:
    master, slave = pty.openpty()
    try:
        done = _verify_with_stderr_on(slave, *large)
        os.close(slave)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the pty has nothing more
            while chunk := os.read(master, 65536):
                shown += chunk
    finally:
        os.close(master)
    assert done.returncode == 0, done.stdout
    text = shown.decode()
    checking = "memeriksa entri (tanda tangan, bukti, rantai, pemutaran ulang aturan)"
    assert "\rmembaca berkas: " in text
    assert re.search(r"\rmembaca berkas: (\d+\.\d)/\1 MB\r?\n", text)
    records = 2 + 5 + 2500 + 1  # two log records, the registry's entries, the agency's, a range
    assert f"\r{checking}: {records}/{records}\r\n" in text
    assert text.rstrip().endswith("menyusun laporan…")
    assert done.stdout.startswith("VERIFIED, COMPLETE")


def test_no_progress_off_a_terminal(large: tuple[Path, str]) -> None:
    done = _verify_with_stderr_on(subprocess.PIPE, *large)
    assert done.returncode == 0
    assert done.stderr == ""
