"""The ledger's bundle/2 exporter and the verifier agree: what `stream_bundle` writes verifies.

(The one test here that builds a bundle through the ledger; the rest of tests/verification
builds them with bundle2_builder, without one.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.bootstrap import Runtime, open_runtime
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.settings import Settings
from tests.support import AGENCY, HEAD, STAFF, STAFF2, World, payload, wfa_request
from verification.outcome import COMPLETE, PARTIAL
from verification.verify2 import verify_bytes


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


def test_an_exported_subject_bundle_is_partial_until_heads_are_proven(runtime: Runtime) -> None:
    data = exported(runtime, log=AGENCY, subject="req-a")
    outcome = verify_bytes(data, runtime.log_verifier_key)
    assert outcome.verdict == PARTIAL, outcome.failures
    assert [reason for reason in outcome.partial if "head of req-a" in reason]
