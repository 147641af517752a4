"""The bundle example in docs/ verifies, and docs/ shows exactly what the verifier prints for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_the_documented_subject_bundle_verifies_as_the_docs_show() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "verification",
            "verify",
            str(EXAMPLES / "bundle-subject.json"),
            "--log-key",
            str(EXAMPLES / "log-key.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # VERIFIED, COMPLETE: every chain's head proven
    assert done.stdout == (EXAMPLES / "bundle-subject.txt").read_text(encoding="utf-8")
