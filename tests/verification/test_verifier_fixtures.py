"""Every damaged ledger-built bundle is refused with its (log, index, reason); the genuine one
verifies COMPLETE, every chain's head proven by the subject map."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import AGENCY, HEAD, payload
from tests.verification.bundle2_builder import Bundle2
from tests.verification.fixtures.damage import DAMAGES, Damaged
from tests.verification.fixtures.genuine import (
    REGISTRY,
    REQUEST,
    Genuine,
    build_genuine,
    export,
)
from verification.outcome import COMPLETE, Outcome
from verification.report import render_json
from verification.verifier import verify_bytes


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


def verify(g: Genuine, bundle: Bundle2, trusted: tuple[str, ...] = ()) -> Outcome:
    return verify_bytes(bundle.lines(), g.log_key, trusted)


def found(outcome: Outcome) -> set[tuple[str | None, int | None, str]]:
    return {(f.log, f.index, f.reason) for f in outcome.failures}


def test_genuine_bundle_verifies_and_replays_the_request(genuine: Genuine) -> None:
    outcome = verify(genuine, genuine.bundle)
    assert outcome.failures == []
    assert outcome.verdict == COMPLETE
    assert outcome.partial == []
    assert outcome.logs[AGENCY].proven[REQUEST] == 2
    report = json.loads(render_json(outcome))
    [subject] = report["subjects"]
    assert (subject["log"], subject["subject"]) == (AGENCY, REQUEST)
    assert subject["state"]["status"] == "approved"
    assert [step["type"] for step in subject["history"]] == ["wfa.requested", "wfa.approved"]


def test_genuine_period_bundle_is_complete(genuine: Genuine) -> None:
    outcome = verify(genuine, export(genuine.runtime, agency=AGENCY))
    assert outcome.verdict == COMPLETE, (outcome.failures, outcome.partial)


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_damaged_bundle_is_refused_naming_log_index_and_reason(
    name: str, genuine: Genuine, tmp_path: Path
) -> None:
    damaged: Damaged = DAMAGES[name](genuine, tmp_path)
    outcome = verify(genuine, damaged.bundle, damaged.trusted)
    assert not outcome.ok
    assert outcome.exit_code == 1
    assert (damaged.log, damaged.index, damaged.reason) in found(outcome), found(outcome)


def test_the_damages_leave_the_genuine_bundle_as_it_was(genuine: Genuine, tmp_path: Path) -> None:
    before = genuine.bundle.lines()
    for name in sorted(DAMAGES):
        DAMAGES[name](genuine, tmp_path / name)
    assert genuine.bundle.lines() == before


def test_withheld_payload_is_reported_not_failed(genuine: Genuine) -> None:
    bundle = genuine.bundle.copy()
    entry = genuine.record(REQUEST, 1, bundle)
    entry["payload"], entry["missing"] = None, "withheld"
    outcome = verify(genuine, bundle)
    assert outcome.failures == []
    assert outcome.logs[AGENCY].withheld == [entry["index"]]
    history = json.loads(render_json(outcome))["subjects"][0]["history"]
    assert history[0]["withheld"] is True


def test_redacted_payload_without_its_entry_redacted_fails(genuine: Genuine) -> None:
    bundle = genuine.bundle.copy()
    entry = genuine.record(REQUEST, 1, bundle)
    entry["payload"], entry["missing"] = None, "redacted"
    outcome = verify(genuine, bundle)
    assert (AGENCY, entry["index"], "redaction-unproven") in found(outcome)


def test_trusted_checkpoints_of_both_logs_are_consistent(genuine: Genuine) -> None:
    logs = genuine.runtime.logs
    old, registry = logs.log(AGENCY).latest_checkpoint(), logs.registry.latest_checkpoint()
    genuine.world.append(payload("entry.annotated", REQUEST, HEAD, {"entry": 1, "note": "dicek"}))
    bundle = export(genuine.runtime, log=AGENCY, subject=REQUEST, consistency_from=old.size)
    outcome = verify(genuine, bundle, (old.note, registry.note))
    assert outcome.failures == []
    trusted = outcome.logs[AGENCY].trusted
    assert trusted is not None
    assert trusted.size == old.size


def test_payload_change_also_breaks_the_signature(genuine: Genuine, tmp_path: Path) -> None:
    damaged = DAMAGES["payload-byte-changed"](genuine, tmp_path)
    assert (AGENCY, damaged.index, "bad-signature") in found(verify(genuine, damaged.bundle))


def test_personal_key_acting_for_another_official_names_the_holder(
    genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES["key-holder-mismatch"](genuine, tmp_path)
    outcome = verify(genuine, damaged.bundle)
    [failure] = [f for f in outcome.failures if (f.log, f.index) == (AGENCY, damaged.index)]
    assert failure.reason == "key-holder-mismatch"
    assert "belongs to 199912312020121001, not to the actor" in failure.detail


def test_an_entry_whose_signature_fails_is_left_out_of_the_replay(
    genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES["signature-from-another-key"](genuine, tmp_path)
    outcome = verify(genuine, damaged.bundle)
    assert damaged.index is not None
    where = (AGENCY, damaged.index)
    assert outcome.replay.skipped[where] == "failed a check"
    assert where not in outcome.replay.flags


def test_a_registry_damage_names_the_registry_log(genuine: Genuine, tmp_path: Path) -> None:
    damaged = DAMAGES["registry-checkpoint-signed-by-another-key"](genuine, tmp_path)
    assert damaged.log == REGISTRY
    outcome = verify(genuine, damaged.bundle)
    assert (AGENCY, None, "checkpoint") not in found(outcome)
