"""What `verification.write` writes, the streamed reader reads: one JSON document, line by line."""

from __future__ import annotations

import base64
import json

from tests.domain.builders import AGENCY
from tests.verification.bundle2_builder import (
    OPERATOR,
    RANGE,
    genuine_ledger,
    header,
    jcs,
    period_bundle,
)
from verification.merkle import inclusion_proof
from verification.outcome import COMPLETE
from verification.ranges import range_proof
from verification.verifier import verify_bytes
from verification.write import BundleWriter, entry_record, log_record, range_record


def test_a_written_period_bundle_reads_back_complete() -> None:
    ledger = genuine_ledger()
    reference = period_bundle(ledger)
    writer = BundleWriter()
    claim = reference.header["claim"]
    assert isinstance(claim, dict)
    head = header(ledger, claim)
    pieces = [
        writer.head(
            log_key=ledger.log_key, claim=claim, as_of=str(head["as_of"]), reader="inspector"
        )
    ]
    start, end = RANGE
    for log in (OPERATOR, AGENCY):
        entries = ledger.logs[log]
        hashes = ledger.hashes(log)
        cut = len(entries) if log == OPERATOR else end
        checkpoint, subject_map = ledger.checkpoint(log), ledger.subject_map_note(log)
        pieces.append(writer.record(log_record(log, f"jejak.test/{log}", checkpoint, subject_map)))
        for built in entries[:cut]:
            in_range = log == AGENCY and built.index >= start
            proof = None if in_range else inclusion_proof(hashes, built.index, len(hashes))
            payload = base64.b64encode(built.body).decode()
            leaf = jcs(built.leaf).decode()
            text = entry_record(log, built.index, built.leaf_hash, leaf, payload, None, proof)
            pieces.append(writer.record(text))
        if log == AGENCY:
            pieces.append(
                writer.record(range_record(log, start, end, range_proof(hashes, start, end)))
            )
    pieces.append(writer.tail())
    data = "".join(pieces).encode()
    assert json.loads(data)["format"] == "jejak-bundle/2"
    outcome = verify_bytes(data, ledger.log_key)
    assert outcome.verdict == COMPLETE, outcome.failures
    assert json.loads(data) == json.loads(reference.lines())
