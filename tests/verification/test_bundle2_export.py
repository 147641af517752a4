"""The ledger's bundle/2 exporter and the verifier agree: what `stream_bundle` writes verifies.

(The one test here that builds a bundle through the ledger; the rest of tests/verification
builds them with bundle2_builder, without one.)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.bootstrap import Runtime, open_runtime
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.settings import Settings
from tests.support import AGENCY, HEAD, STAFF, STAFF2, World, payload, wfa_request
from verification.outcome import COMPLETE, FAILED
from verification.verifier import verify_bytes


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir: Path = tmp_path_factory.mktemp("export2")
    opened = open_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data_dir)}))
    world = World(opened).setup()
    world.append(payload("wfa.requested", "req-a", STAFF, wfa_request(STAFF, days=2)))
    world.append(payload("wfa.requested", "req-b", STAFF2, wfa_request(STAFF2, days=1)))
    world.append(payload("wfa.approved", "req-a", HEAD, {"note": "ok"}))
    yield opened
    opened.close()


def exported(runtime: Runtime, **query: object) -> bytes:
    plan = plan_export(runtime.logs, BundleQuery(**query), None)  # type: ignore[arg-type]
    return "".join(stream_bundle(runtime.logs, plan)).encode()


def test_an_exported_period_bundle_is_complete(runtime: Runtime) -> None:
    outcome = verify_bytes(exported(runtime, agency=AGENCY), runtime.log_verifier_key)
    assert outcome.verdict == COMPLETE, (outcome.failures, outcome.partial)


def test_an_exported_subject_bundle_is_complete_with_every_head_proven(runtime: Runtime) -> None:
    data = exported(runtime, log=AGENCY, subject="req-a")
    outcome = verify_bytes(data, runtime.log_verifier_key)
    assert outcome.verdict == COMPLETE, (outcome.failures, outcome.partial)
    agency = outcome.logs[AGENCY]
    assert agency.proven["req-a"] == 2
    assert set(agency.proven) >= {"req-a", STAFF, HEAD}


def test_a_subject_bundle_without_its_last_entry_fails_naming_the_version(
    runtime: Runtime,
) -> None:
    lines = exported(runtime, log=AGENCY, subject="req-a").decode().split("\n")
    approval = next(n for n, line in enumerate(lines) if '"wfa.approved"' in _payload_of(line))
    kept = lines[:approval] + lines[approval + 1 :]
    outcome = verify_bytes("\n".join(kept).encode(), runtime.log_verifier_key)
    assert outcome.verdict == FAILED
    [failure] = [f for f in outcome.failures if f.reason == "missing-entry"]
    assert failure.log == AGENCY
    assert "versions 2..2 of req-a" in failure.detail


def _payload_of(line: str) -> str:
    if not line.startswith('{"record":"entry"'):
        return ""
    payload = json.loads(line.rstrip(","))["payload"]
    return "" if payload is None else base64.b64decode(payload).decode()
