"""The JSON the writer stores: the leaf text is its RFC 8785 form (the bytes hashed), and the
envelope text parses back to the envelope as submitted."""

from __future__ import annotations

import rfc8785

from ledger.bootstrap import Runtime
from ledger.head import compact_json
from tests.support import AGENCY, World, unit_payload
from verification.leaf import Leaf
from verification.merkle import leaf_hash


def test_stored_leaf_is_rfc8785_and_hashes_to_the_receipts_leaf_hash(runtime: Runtime) -> None:
    world = World(runtime).setup()
    envelope = world.agency_signer.sign(unit_payload("unit-stored-json"))
    ledger = runtime.logs.log(AGENCY)
    [receipt] = ledger.append([ledger.prepare(envelope)])
    stored = ledger.entry(receipt.index)
    leaf = Leaf.from_json(stored.leaf)
    assert stored.leaf_json.encode() == rfc8785.dumps(stored.leaf) == leaf.canonical()
    assert leaf_hash(stored.leaf_json.encode()).hex() == receipt.leaf_hash == stored.leaf_hash
    assert receipt.subject == "unit-stored-json"
    assert stored.envelope == envelope


def test_envelope_text_keeps_what_orjson_refuses() -> None:
    lone = {"keyid": "\ud800", "sig": "AA=="}
    assert compact_json(lone) == '{"keyid":"\\ud800","sig":"AA=="}'
    assert compact_json({"k": "é"}) == '{"k":"é"}'
