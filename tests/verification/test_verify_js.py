"""The page's verify.js (WebCrypto, run by node) reaches the verdict of `jejak verify` on every
named bundle/2 damage, naming the same (log, index, reason)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.verification.bundle2_builder import ROOT
from tests.verification.bundle2_damage import CASES, Case
from tests.verification.subject_map_vectors import VECTORS
from verification.outcome import COMPLETE, FAILED, PARTIAL
from verification.verifier import verify_stream

NODE = shutil.which("node")
VERIFY_JS = ROOT / "api" / "pages" / "static" / "verify.js"
RUNNER = """
const fs = require("fs");
const { verifyBundle2, Unusable } = require(process.argv[2]);
const [bundle, key, ...trusted] = process.argv.slice(3);
verifyBundle2(fs.readFileSync(bundle, "utf8"), key, trusted.map((t) => fs.readFileSync(t, "utf8")))
  .then((r) => console.log(JSON.stringify(r)))
  .catch((e) => console.log(JSON.stringify({
    verdict: e instanceof Unusable ? "unusable" : "error", message: String(e) })));
"""
VERDICTS = {COMPLETE: "complete", PARTIAL: "partial", FAILED: "failed"}

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def in_js(tmp_path: Path, data: bytes, key: str, trusted: tuple[str, ...]) -> dict[str, object]:
    runner = tmp_path / "runner.js"
    runner.write_text(RUNNER)
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(data)
    notes = []
    for n, note in enumerate(trusted):
        path = tmp_path / f"trusted-{n}.note"
        path.write_text(note)
        notes.append(str(path))
    done = subprocess.run(
        [str(NODE), str(runner), str(VERIFY_JS), str(bundle), key, *notes],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_browser_reaches_the_cli_verdict(tmp_path: Path, name: str) -> None:
    built: Case = CASES[name]()
    data = built.bundle.lines()
    outcome = verify_stream(io.BytesIO(data), built.ledger.log_key, built.trusted)
    python = {(f.log, f.index, f.reason) for f in outcome.failures}
    assert VERDICTS[outcome.verdict] == built.verdict, (outcome.failures, outcome.partial)
    if built.expect is not None:
        assert built.expect in python
    result = in_js(tmp_path, data, built.ledger.log_key, built.trusted)
    failures = result.get("failures", [])
    assert isinstance(failures, list)
    js = {(f["log"], f["index"], f["reason"]) for f in failures}
    assert (result["verdict"], js) == (built.verdict, python)


@pytest.mark.parametrize("broken", ["pretty", "truncated"])
def test_the_browser_refuses_a_broken_layout(tmp_path: Path, broken: str) -> None:
    built = CASES["genuine-period"]()
    data = built.bundle.lines()
    if broken == "pretty":
        data = json.dumps(json.loads(data), indent=2).encode()
    else:
        data = data.rsplit(b"]}", 1)[0]
    assert in_js(tmp_path, data, built.ledger.log_key, ())["verdict"] == "unusable"


VECTORS_RUNNER = """
const fs = require("fs");
const { verifySubjectProof, ProofError } = require(process.argv[2]);
const data = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const unhex = (t) => Uint8Array.from(t.match(/../g).map((b) => parseInt(b, 16)));
(async () => {
  const out = {};
  for (const v of data.proofs) {
    try {
      const head = await verifySubjectProof(v.proof, unhex(v.root));
      out[v.name] = head === null ? { verdict: "absent" }
        : { verdict: "member", version: head.version, leaf_hash: head.leafHash };
    } catch (e) {
      if (!(e instanceof ProofError)) throw e;
      out[v.name] = { verdict: "invalid", error: e.code };
    }
  }
  console.log(JSON.stringify(out));
})();
"""


def test_the_browser_gets_every_subject_map_vector_right(tmp_path: Path) -> None:
    runner = tmp_path / "vectors.js"
    runner.write_text(VECTORS_RUNNER)
    done = subprocess.run(
        [str(NODE), str(runner), str(VERIFY_JS), str(VECTORS)],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = {v["name"]: v["expect"] for v in json.loads(VECTORS.read_text())["proofs"]}
    assert json.loads(done.stdout) == expected
