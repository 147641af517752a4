"""Every damaged bundle is refused with its reason and entry index; the genuine one verifies."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import HEAD, payload
from tests.verification.fixtures.damage import DAMAGES, Damaged
from tests.verification.fixtures.genuine import REQUEST, Genuine, build_genuine, export
from verification.bundle import parse_bundle
from verification.report import render_json
from verification.verifier import Verification, verify_bundle


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


def verify(g: Genuine, bundle: dict[str, object], trusted: str | None = None) -> Verification:
    return verify_bundle(parse_bundle(json.loads(json.dumps(bundle))), g.log_key, trusted)


def test_genuine_bundle_verifies_and_replays_the_request(genuine: Genuine) -> None:
    result = verify(genuine, genuine.bundle)
    assert result.failures == []
    report = json.loads(render_json(result))
    [subject] = report["subjects"]
    assert subject["subject"] == REQUEST
    assert subject["state"]["status"] == "approved"
    assert [step["type"] for step in subject["history"]] == ["wfa.requested", "wfa.approved"]


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_damaged_bundle_is_refused_naming_reason_and_entry(
    name: str, genuine: Genuine, tmp_path: Path
) -> None:
    damaged: Damaged = DAMAGES[name](genuine, tmp_path)
    result = verify(genuine, damaged.bundle, damaged.trusted)
    assert not result.ok
    found = {(f.reason, f.index) for f in result.failures}
    assert (damaged.reason, damaged.index) in found, found


def test_redacted_payload_is_reported_not_failed(genuine: Genuine) -> None:
    bundle = copy.deepcopy(genuine.bundle)
    position = genuine.position(REQUEST, 1)
    bundle["entries"][position]["payload"] = None
    result = verify(genuine, bundle)
    assert result.failures == []
    assert result.redacted == [bundle["entries"][position]["index"]]
    history = json.loads(render_json(result))["subjects"][0]["history"]
    assert history[0]["redacted"] is True


def test_trusted_checkpoint_of_the_same_log_is_consistent(genuine: Genuine) -> None:
    old = genuine.runtime.ledger.latest_checkpoint()
    genuine.world.append(payload("entry.annotated", REQUEST, HEAD, {"entry": 1, "note": "dicek"}))
    bundle = export(genuine.runtime, subject=REQUEST, consistency_from=old.size)
    assert verify(genuine, bundle, old.note).failures == []


def test_payload_change_also_breaks_the_signature(genuine: Genuine, tmp_path: Path) -> None:
    damaged = DAMAGES["payload-byte-changed"](genuine, tmp_path)
    result = verify(genuine, damaged.bundle)
    assert ("bad-signature", damaged.index) in {(f.reason, f.index) for f in result.failures}
    assert base64.b64decode(damaged.bundle["entries"][0]["payload"])


def test_personal_key_acting_for_another_official_names_the_rule(
    genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES["key-holder-mismatch"](genuine, tmp_path)
    result = verify(genuine, damaged.bundle)
    [failure] = [f for f in result.failures if f.index == damaged.index]
    assert "key-holder-mismatch" in str(failure)
    assert "may not sign for actor" in str(failure)


def test_an_entry_whose_signature_fails_is_left_out_of_the_replay(
    genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES["signature-from-another-key"](genuine, tmp_path)
    result = verify(genuine, damaged.bundle)
    assert result.replay is not None
    assert result.replay.skipped[damaged.index] == "failed"
    assert damaged.index not in result.replay.flags
