"""The leaf encoding: exact RFC 8785 canonical JSON, checked against the rfc8785 library."""

from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from verification.dsse import Signature
from verification.leaf import Leaf

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
hexes = st.binary(min_size=32, max_size=32).map(bytes.hex)


@given(
    subject=texts,
    version=st.integers(min_value=1, max_value=2**53 - 1),
    prev=st.none() | hexes,
    payload_type=texts,
    sigs=st.lists(st.tuples(hexes, texts), max_size=3),
    integrated_at=texts,
)
def test_leaf_canonical_bytes_equal_rfc8785(
    subject: str,
    version: int,
    prev: str | None,
    payload_type: str,
    sigs: list[tuple[str, str]],
    integrated_at: str,
) -> None:
    leaf = Leaf(
        payload_type=payload_type,
        payload_sha256="ab" * 32,
        signatures=tuple(Signature(keyid, sig) for keyid, sig in sigs),
        subject=subject,
        version=version,
        prev=prev,
        integrated_at=integrated_at,
    )
    assert leaf.canonical() == rfc8785.dumps(leaf.as_json())  # type: ignore[arg-type]


def test_leaf_canonical_escapes_controls_and_keeps_unicode() -> None:
    leaf = Leaf(
        "t", "00" * 32, (), 'permohonan \u2028 "é" \x01\n', 1, None, "2026-12-01T01:00:00.000000Z"
    )
    text = leaf.canonical().decode()
    assert '"subject":"permohonan \u2028 \\"é\\" \\u0001\\n"' in text
    assert text.index('"integrated_at"') < text.index('"payload_sha256"') < text.index('"version"')
