"""The orjson fast path writes RFC 8785 bytes exactly, and hands everything else to rfc8785."""

from __future__ import annotations

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.canonical import MAX_SAFE, canonical_json, fast_path_safe, leaf_canonical
from verification.dsse import Signature
from verification.leaf import Leaf

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
ascii_keys = st.text(st.characters(max_codepoint=127), max_size=8)
safe_ints = st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE)
scalars = st.none() | st.booleans() | safe_ints | texts
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
safe_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ascii_keys, inner, max_size=4),
    max_leaves=20,
)
hexes = st.binary(min_size=32, max_size=32).map(bytes.hex)


@settings(deadline=None)  # a shared, loaded machine: no timing in tests
@given(safe_values)
def test_fast_path_values_are_byte_equal_to_rfc8785(value: object) -> None:
    assert fast_path_safe(value)
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == rfc8785.dumps(value)


@settings(deadline=None)  # a shared, loaded machine: no timing in tests
@given(json_values)
def test_canonical_json_equals_rfc8785_on_any_json(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_astral_and_private_use_keys_take_rfc8785s_order() -> None:
    value = {"\U00010000": 1, "\ue000": 2}  # UTF-16: D800 < E000; code points: 10000 > E000
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != rfc8785.dumps(value)
    assert not fast_path_safe(value)
    assert canonical_json(value) == rfc8785.dumps(value) == '{"\U00010000":1,"\ue000":2}'.encode()


@pytest.mark.parametrize("value", [1.5, 2**53, -(2**53), {"a": [0.1]}, {"k": 10**20}])
def test_floats_and_large_integers_leave_the_fast_path(value: object) -> None:
    assert not fast_path_safe(value)


def test_large_integer_is_refused_like_rfc8785() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps(2**60)
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"n": 2**60})


@settings(deadline=None)  # a shared, loaded machine: no timing in tests
@given(
    subject=texts,
    version=st.integers(min_value=1, max_value=2**64),
    prev=st.none() | hexes,
    payload_type=texts,
    sigs=st.lists(st.tuples(texts, texts), max_size=3),
    integrated_at=texts,
    log=texts,
    registry_size=st.integers(min_value=0, max_value=2**64),
)
def test_leaf_canonical_equals_the_leafs_own_bytes_and_rfc8785(
    subject: str,
    version: int,
    prev: str | None,
    payload_type: str,
    sigs: list[tuple[str, str]],
    integrated_at: str,
    log: str,
    registry_size: int,
) -> None:
    leaf = Leaf(
        log=log,
        payload_type=payload_type,
        payload_sha256="ab" * 32,
        signatures=tuple(Signature(keyid, sig) for keyid, sig in sigs),
        subject=subject,
        version=version,
        prev=prev,
        integrated_at=integrated_at,
        registry_size=registry_size,
    )
    assert leaf_canonical(leaf) == leaf.canonical()
    if version <= MAX_SAFE and registry_size <= MAX_SAFE:
        assert leaf_canonical(leaf) == rfc8785.dumps(leaf.as_json())
