"""bundle/2 verdicts on genuine and damaged bundles built without a ledger (bundle2_builder)."""

from __future__ import annotations

import base64
import io
import json

import pytest

from tests.domain.builders import AGENCY, STAFF, request_data
from tests.verification.bundle2_builder import (
    AGENCY_KEY,
    NAME,
    OPERATOR,
    OPERATOR_KEY,
    RANGE,
    Bundle2,
    Ledger2,
    Signer,
    genuine_ledger,
    leaf_hash_of,
    ledger_with_another_agency,
    period_bundle,
    subject_bundle,
)
from verification.note import format_checkpoint, sign_note
from verification.outcome import COMPLETE, FAILED, PARTIAL, Outcome
from verification.report import render_text
from verification.verifier import verify_stream, verify_whole

Found = set[tuple[str | None, int | None, str]]


def verify(ledger: Ledger2, bundle: Bundle2, trusted: tuple[str, ...] = ()) -> Outcome:
    return verify_stream(io.BytesIO(bundle.lines()), ledger.log_key, trusted, every_subject=True)


def found(outcome: Outcome) -> Found:
    return {(f.log, f.index, f.reason) for f in outcome.failures}


def test_genuine_period_bundle_is_complete(ledger: Ledger2) -> None:
    outcome = verify(ledger, period_bundle(ledger))
    assert (outcome.verdict, outcome.exit_code) == (COMPLETE, 0), outcome.failures
    assert not outcome.partial
    assert outcome.logs[AGENCY].ranges == [RANGE]
    view = outcome.replay.view(AGENCY, "req-3", outcome.as_of)
    assert view is not None
    assert view.state["status"] == "rejected"


def test_registry_covered_by_a_range_is_complete(ledger: Ledger2) -> None:
    outcome = verify(ledger, period_bundle(ledger, registry_range=True))
    assert outcome.verdict == COMPLETE, outcome.failures


def test_whole_reads_the_same_bundle_pretty_printed(ledger: Ledger2) -> None:
    pretty = json.dumps(json.loads(period_bundle(ledger).lines()), indent=2).encode()
    assert verify_whole(pretty, ledger.log_key).verdict == COMPLETE


@pytest.mark.parametrize("index", [4, 5, 7, 10, 11])
def test_an_entry_dropped_from_the_range_fails_naming_it(ledger: Ledger2, index: int) -> None:
    bundle = period_bundle(ledger).drop(AGENCY, index)
    outcome = verify(ledger, bundle)
    assert outcome.verdict == FAILED
    assert (AGENCY, index, "missing-entry") in found(outcome)


def test_a_range_short_of_the_boundary_before_the_period_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    start, end = RANGE
    bundle.records = [
        r for r in bundle.records if not (r["log"] == AGENCY and r["record"] == "range")
    ]
    bundle.entry(AGENCY, start)["proof"] = ledger.entry_record(ledger.logs[AGENCY][start])["proof"]
    bundle.records.append(ledger.range_record(AGENCY, start + 1, end))
    outcome = verify(ledger, bundle)
    assert (AGENCY, start, "missing-entry") in found(outcome)


def test_tampered_leaf_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    bundle.entry(AGENCY, 6)["leaf"]["integrated_at"] = "2026-12-01T01:02:30.000000Z"
    assert (AGENCY, 6, "leaf-hash-mismatch") in found(verify(ledger, bundle))


def test_leaf_rehashed_after_tampering_breaks_the_range(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 6)
    record["leaf"]["integrated_at"] = "2026-12-01T01:02:30.000000Z"
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    assert (AGENCY, RANGE[0], "range") in found(verify(ledger, bundle))


def test_tampered_payload_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 7)
    body = bytearray(base64.b64decode(record["payload"]))
    body[body.index(b"rumah")] = ord("R")
    record["payload"] = base64.b64encode(bytes(body)).decode()
    reasons = found(verify(ledger, bundle))
    assert (AGENCY, 7, "payload-hash-mismatch") in reasons
    assert (AGENCY, 7, "bad-signature") in reasons


def test_tampered_signature_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 2)  # a context entry, included by its own proof
    other = bundle.entry(AGENCY, 3)["leaf"]["signatures"][0]["sig"]
    record["leaf"]["signatures"][0]["sig"] = other
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    reasons = found(verify(ledger, bundle))
    assert (AGENCY, 2, "bad-signature") in reasons
    assert (AGENCY, 2, "inclusion") in reasons


def test_tampered_inclusion_proof_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    proof = bundle.entry(AGENCY, 1)["proof"]
    proof[0] = "00" * 32
    assert (AGENCY, 1, "inclusion") in found(verify(ledger, bundle))


def test_tampered_range_hash_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    rng = next(r for r in bundle.records if r["record"] == "range")
    rng["hashes"][-1] = "00" * 32
    assert (AGENCY, RANGE[0], "range") in found(verify(ledger, bundle))


def test_a_range_with_an_extra_hash_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    rng = next(r for r in bundle.records if r["record"] == "range")
    rng["hashes"].append("00" * 32)
    assert (AGENCY, RANGE[0], "range") in found(verify(ledger, bundle))


def test_key_registered_after_the_entrys_registry_size_fails() -> None:
    ledger = genuine_ledger()
    late = Signer("late-key")
    size = len(ledger.logs[OPERATOR])
    ledger.append(
        OPERATOR,
        "key.registered",
        f"key:{late.keyid}",
        late.key_data(AGENCY),
        signers=[OPERATOR_KEY],
        actor=OPERATOR,
    )
    built = ledger.append(
        AGENCY,
        "wfa.requested",
        "req-9",
        request_data(STAFF),
        signers=[late],
        actor=STAFF,
        registry_size=size,
    )
    bundle = subject_bundle(ledger, "req-9")
    assert (AGENCY, built.index, "key-registered-later") in found(verify(ledger, bundle))


@pytest.mark.parametrize("origin", [NAME, f"{NAME}/kab-b", f"other/{AGENCY}"])
def test_checkpoint_of_another_origin_fails(ledger: Ledger2, origin: str) -> None:
    bundle = period_bundle(ledger)
    log = next(r for r in bundle.records if r["record"] == "log" and r["log"] == AGENCY)
    log["checkpoint"] = ledger.checkpoint(AGENCY, origin=origin)
    assert (AGENCY, None, "checkpoint") in found(verify(ledger, bundle))


def test_checkpoint_signed_by_another_key_fails(ledger: Ledger2) -> None:
    other = Ledger2()
    bundle = period_bundle(ledger)
    log = next(r for r in bundle.records if r["record"] == "log" and r["log"] == AGENCY)
    log["checkpoint"] = other.checkpoint(OPERATOR)  # any note not by this ledger's key
    assert (AGENCY, None, "checkpoint") in found(verify(ledger, bundle))


def test_withheld_payload_is_partial(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 8)
    record["payload"], record["missing"] = None, "withheld"
    outcome = verify(ledger, bundle)
    assert (outcome.verdict, outcome.exit_code) == (PARTIAL, 3), outcome.failures
    assert any("withheld" in reason and "8" in reason for reason in outcome.partial)


def _redaction(ledger: Ledger2, index: int) -> None:
    ledger.append(
        OPERATOR,
        "entry.redacted",
        f"redaction:{AGENCY}:{index}",
        {"log": AGENCY, "index": index, "basis": "UU 27/2022 Pasal 43", "reason": "permintaan"},
        signers=[OPERATOR_KEY],
        actor=OPERATOR,
    )


def test_redacted_payload_with_its_entry_redacted_is_complete() -> None:
    ledger = genuine_ledger()
    _redaction(ledger, 8)
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 8)
    record["payload"], record["missing"] = None, "redacted"
    outcome = verify(ledger, bundle)
    assert outcome.verdict == COMPLETE, (outcome.failures, outcome.partial)
    assert outcome.logs[AGENCY].redacted == [8]
    assert outcome.logs[AGENCY].redaction_basis == {8: "UU 27/2022 Pasal 43"}
    assert "× 1 (UU 27/2022 Pasal 43)" in render_text(outcome, "en")


def test_redacted_payload_without_entry_redacted_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 8)
    record["payload"], record["missing"] = None, "redacted"
    assert (AGENCY, 8, "redaction-unproven") in found(verify(ledger, bundle))


def test_redaction_that_stops_the_replay_is_partial() -> None:
    ledger = genuine_ledger()
    _redaction(ledger, 7)  # req-2's request: its approval cannot be replayed without it
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 7)
    record["payload"], record["missing"] = None, "redacted"
    outcome = verify(ledger, bundle)
    assert outcome.verdict == PARTIAL, outcome.failures
    assert any("req-2" in reason for reason in outcome.partial)


def test_subject_claim_without_a_proven_head_is_partial(ledger: Ledger2) -> None:
    outcome = verify(ledger, subject_bundle(ledger, "req-1", heads=False))
    assert outcome.verdict == PARTIAL, outcome.failures
    assert any("head of req-1" in reason for reason in outcome.partial)


def test_subject_claim_with_every_head_proven_is_complete(ledger: Ledger2) -> None:
    outcome = verify(ledger, subject_bundle(ledger, "req-1"))
    assert outcome.verdict == COMPLETE, (outcome.failures, outcome.partial)
    assert outcome.logs[AGENCY].proven["req-1"] == 3


def test_subject_claim_missing_its_first_version_fails(ledger: Ledger2) -> None:
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 5)
    assert (AGENCY, 6, "missing-entry") in found(verify(ledger, bundle))


def test_a_gap_inside_a_chain_fails(ledger: Ledger2) -> None:
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 6)
    assert (AGENCY, 11, "chain-version") in found(verify(ledger, bundle))


def test_leaf_of_another_log_fails(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 1)
    record["leaf"]["log"] = "kab-b"
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    assert (AGENCY, 1, "leaf-log") in found(verify(ledger, bundle))


def test_entry_signed_by_a_key_of_another_org_fails(ledger: Ledger2) -> None:
    bundle = subject_bundle(ledger, "req-1")
    record = bundle.entry(OPERATOR, 1)  # org.registered, signed by the agency's key
    body = base64.b64decode(record["payload"])
    record["leaf"]["signatures"] = [AGENCY_KEY.sign(body)]
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    assert (OPERATOR, 1, "key-not-registered") in found(verify(ledger, bundle))


def test_consistency_with_a_trusted_checkpoint(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    old = 9
    log = next(r for r in bundle.records if r["record"] == "log" and r["log"] == AGENCY)
    log["consistency"] = ledger.log_record(AGENCY, consistency_from=old)["consistency"]
    trusted = ledger.checkpoint(AGENCY, size=old)
    assert verify(ledger, bundle, (trusted,)).verdict == COMPLETE


def test_trusted_checkpoint_without_consistency_proof_fails(ledger: Ledger2) -> None:
    trusted = ledger.checkpoint(AGENCY, size=9)
    outcome = verify(ledger, period_bundle(ledger), (trusted,))
    assert (AGENCY, None, "consistency") in found(outcome)


def test_forked_log_fails_consistency(ledger: Ledger2) -> None:
    origin, size = f"{NAME}/{AGENCY}", len(ledger.logs[AGENCY])
    trusted = sign_note(format_checkpoint(origin, size, b"\x07" * 32), ledger.note_private)
    outcome = verify(ledger, period_bundle(ledger), (trusted, ledger.checkpoint(OPERATOR)))
    assert (AGENCY, None, "consistency") in found(outcome)
    assert (OPERATOR, None, "consistency") not in found(outcome)


def test_a_registry_selection_with_gaps_is_complete() -> None:
    ledger = ledger_with_another_agency()
    bundle = period_bundle(ledger, registry_only={0, 1, 2, 3, 4})  # kab-b's 5-7 left out
    outcome = verify(ledger, bundle)
    assert outcome.verdict == COMPLETE, (outcome.failures, outcome.partial)
    assert outcome.logs[AGENCY].entries == RANGE[1]


def test_a_registry_selection_without_the_signing_key_fails() -> None:
    ledger = ledger_with_another_agency()
    bundle = period_bundle(ledger, registry_only={0, 1, 3, 4})  # kab-a's key (2) left out
    outcome = verify(ledger, bundle)
    assert (AGENCY, 0, "key-not-registered") in found(outcome)


@pytest.mark.parametrize(
    ("since", "until", "missing"), [(None, "2026-12-01", 3), ("2026-12-01", None, 12)]
)
def test_an_open_period_claims_the_log_from_its_start_or_to_its_checkpoint(
    ledger: Ledger2, since: str | None, until: str | None, missing: int
) -> None:
    bundle = period_bundle(ledger)
    bundle.header["claim"] = {"kind": "period", "log": AGENCY, "from": since, "to": until}
    assert (AGENCY, missing, "missing-entry") in found(verify(ledger, bundle))


def test_an_open_period_over_the_whole_log_is_complete(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    size = len(ledger.logs[AGENCY])
    bundle.records = [r for r in bundle.records if r["log"] != AGENCY or r["record"] == "log"]
    bundle.records += [ledger.entry_record(b, proof=False) for b in ledger.logs[AGENCY]]
    bundle.records.append(ledger.range_record(AGENCY, 0, size))
    bundle.header["claim"] = {"kind": "period", "log": AGENCY, "from": None, "to": None}
    assert verify(ledger, bundle).verdict == COMPLETE


class LineByLine(io.BytesIO):
    """A file that lets itself be read one line at a time, never whole."""

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None
        assert 0 <= size <= 1, "the verifier read more than a line at once"
        return super().read(size)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        raise AssertionError("the verifier read every line at once")


def test_the_streamed_reader_never_holds_the_whole_file(ledger: Ledger2) -> None:
    stream = LineByLine(period_bundle(ledger).lines())
    assert verify_stream(stream, ledger.log_key).verdict == COMPLETE
