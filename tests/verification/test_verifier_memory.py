"""The verifier's memory stays bounded without changing what it finds: the replay state beyond
its working set is spilled to a scratch file and read back, steps are kept only for the
subjects the report shows, and a period keeps counts, not its entries."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from tests.domain.builders import AGENCY as PERIOD_AGENCY
from tests.support import AGENCY
from tests.verification.bundle2_builder import Ledger2, period_bundle
from tests.verification.fixtures.genuine import REQUEST, Genuine, build_genuine
from verification import spill
from verification.outcome import Outcome
from verification.report import render_json
from verification.verifier import verify_stream


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


@pytest.fixture
def tiny_working_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """One value per map in memory and a write to the scratch file after every entry."""
    monkeypatch.setattr(spill, "CAPACITY", 1)
    monkeypatch.setattr(spill, "FLUSH_EVERY", 1)


def _verify(data: bytes, log_key: str, every_subject: bool = False) -> tuple[Outcome, str]:
    outcome = verify_stream(io.BytesIO(data), log_key, every_subject=every_subject)
    try:
        return outcome, render_json(outcome, "en")
    finally:
        outcome.replay.close()


def test_a_spilled_working_set_finds_the_same_as_one_in_memory(
    genuine: Genuine, ledger: Ledger2, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        (genuine.bundle.lines(), genuine.log_key, False),
        (period_bundle(ledger).lines(), ledger.log_key, True),
    ]
    roomy = [_verify(*case)[1] for case in cases]
    monkeypatch.setattr(spill, "CAPACITY", 1)
    monkeypatch.setattr(spill, "FLUSH_EVERY", 1)
    tiny = [_verify(*case)[1] for case in cases]
    assert tiny == roomy
    subject = json.loads(tiny[0])["subjects"][0]
    assert subject["state"]["status"] == "approved"
    assert {flag["rule"] for flag in subject["flags"]} == {"unit-quota-exceeded"}
    assert len(json.loads(tiny[1])["subjects"]) > 1


@pytest.mark.usefixtures("tiny_working_set")
def test_a_broken_chain_is_found_though_its_head_was_spilled(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    chain = [
        r
        for r in bundle.records
        if r["record"] == "entry" and r["log"] == PERIOD_AGENCY and r["leaf"]["subject"] == "req-1"
    ]
    approval, withdrawal = chain[1], chain[-1]
    between = {
        r["leaf"]["subject"]
        for r in bundle.records
        if r["record"] == "entry"
        and r["log"] == PERIOD_AGENCY
        and approval["index"] < r["index"] < withdrawal["index"]
    }
    assert between - {"req-1"}  # other subjects push req-1's head out of a working set of one
    outcome, _ = _verify(bundle.drop(PERIOD_AGENCY, approval["index"]).lines(), ledger.log_key)
    found = {(f.log, f.index, f.reason) for f in outcome.failures}
    assert (PERIOD_AGENCY, withdrawal["index"], "chain-version") in found


def test_only_the_claimed_subjects_steps_are_kept(genuine: Genuine) -> None:
    outcome, _ = _verify(genuine.bundle.lines(), genuine.log_key)
    assert {step.subject for step in outcome.steps} == {REQUEST}
    assert set(outcome.replay.logs[AGENCY].steps) == {REQUEST}
    assert outcome.tally.logs[AGENCY].entries > len(outcome.steps)


def test_a_period_keeps_counts_not_its_entries(ledger: Ledger2) -> None:
    outcome, report = _verify(period_bundle(ledger).lines(), ledger.log_key)
    assert outcome.steps == []
    assert all(not replay.steps for replay in outcome.replay.logs.values())
    counted = json.loads(report)["logs"][1]["entries_per_type"]
    assert counted["wfa.requested"] >= 1
    assert sum(counted.values()) == outcome.logs[json.loads(report)["logs"][1]["log"]].entries


def test_the_filter_of_stored_keys_never_hides_a_stored_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read skips the file only for a key never written: with a filter of 8 bits (nearly
    every key looks stored) and with the default one, every stored value is read back."""
    for bits in (8, spill.STORED_BITS):
        monkeypatch.setattr(spill, "STORED_BITS", bits)
        scratch = spill.Spill()
        try:
            scratch.store({"a": {f"k{n}": n for n in range(500)}, "b": {("t", 1): "x"}})
            assert [scratch.load("a", f"k{n}") for n in range(500)] == list(range(500))
            assert scratch.load("b", ("t", 1)) == "x"
            assert scratch.load("a", "k500") is None
            assert scratch.load("b", "k1") is None
        finally:
            scratch.close()
