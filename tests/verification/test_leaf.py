"""The leaf encoding: exact RFC 8785 canonical JSON, checked against the rfc8785 library
(the property test beside the fast path, tests/verification/test_canonical.py)."""

from __future__ import annotations

from verification.leaf import Leaf


def test_leaf_canonical_escapes_controls_and_keeps_unicode() -> None:
    leaf = Leaf(
        "t", "00" * 32, (), 'permohonan \u2028 "é" \x01\n', 1, None, "2026-12-01T01:00:00.000000Z"
    )
    text = leaf.canonical().decode()
    assert '"subject":"permohonan \u2028 \\"é\\" \\u0001\\n"' in text
    assert text.index('"integrated_at"') < text.index('"payload_sha256"') < text.index('"version"')
