"""The leaf encoding: exact RFC 8785 canonical JSON, checked against the rfc8785 library
(the property test beside the fast path, tests/verification/test_canonical.py)."""

from __future__ import annotations

from verification.leaf import Leaf


def test_leaf_canonical_escapes_controls_and_keeps_unicode() -> None:
    leaf = Leaf(
        log="kab-a",
        payload_type="t",
        payload_sha256="00" * 32,
        signatures=(),
        subject='permohonan \u2028 "é" \x01\n',
        version=1,
        prev=None,
        integrated_at="2026-12-01T01:00:00.000000Z",
        registry_size=3,
    )
    text = leaf.canonical().decode()
    assert '"subject":"permohonan \u2028 \\"é\\" \\u0001\\n"' in text
    assert text.index('"integrated_at"') < text.index('"log"') < text.index('"payload_sha256"')
    assert text.index('"payload_sha256"') < text.index('"registry_size"') < text.index('"version"')
