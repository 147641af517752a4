"""Hostile input never crashes the verifier: failures name their entry; bad input is unusable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import AGENCY
from tests.verification.bundle2_builder import Bundle2
from tests.verification.fixtures.genuine import Genuine, build_genuine
from tests.verification.fixtures.hostile import deep_payload, leaf_instant
from verification.failures import BundleFormatError
from verification.leaf import parse_instant
from verification.nesting import MAX_NESTING, too_deep
from verification.outcome import Outcome
from verification.verifier import verify_bytes, verify_whole

OUT_OF_RANGE = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z", "2099-12-31T23:00:00-05:00"]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine"))
    yield built
    built.runtime.close()


def _verify(g: Genuine, bundle: Bundle2) -> Outcome:
    return verify_bytes(bundle.lines(), g.log_key)


def test_deeply_nested_payload_is_unreadable_not_a_crash(genuine: Genuine) -> None:
    bundle, approval = deep_payload(genuine)
    outcome = _verify(genuine, bundle)
    [failure] = [f for f in outcome.failures if (f.log, f.index) == (AGENCY, approval)]
    assert failure.reason == "payload-invalid"
    assert f"deeper than {MAX_NESTING}" in failure.detail


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
def test_leaf_instant_outside_the_ledger_years_is_unusable(genuine: Genuine, instant: str) -> None:
    with pytest.raises(BundleFormatError, match=r"integrated_at: .* is outside 2000-01-01"):
        _verify(genuine, leaf_instant(genuine, instant))


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
def test_bundle_as_of_outside_the_ledger_years_is_unusable(genuine: Genuine, instant: str) -> None:
    bundle = genuine.bundle.copy()
    bundle.header["as_of"] = instant
    with pytest.raises(BundleFormatError, match=r"as_of: .* is outside 2000-01-01"):
        _verify(genuine, bundle)


@pytest.mark.parametrize("instant", OUT_OF_RANGE)
def test_parse_instant_refuses_instants_outside_the_years_never_overflowing(instant: str) -> None:
    with pytest.raises(ValueError, match=r"is outside 2000-01-01\.\.2099-12-31"):
        parse_instant(instant)


def test_parse_instant_keeps_the_edges_of_the_years() -> None:
    assert parse_instant("2000-01-01T00:00:00Z").year == 2000
    assert parse_instant("2099-12-31T23:59:59.999999+00:00").year == 2099


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_bundle_nested_100000_levels_is_refused_before_parsing(
    genuine: Genuine, opening: bytes
) -> None:
    with pytest.raises(BundleFormatError, match=f"nested deeper than {MAX_NESTING} levels"):
        verify_whole(opening * 100_000, genuine.log_key)


def test_deep_value_in_a_genuine_header_is_refused(genuine: Genuine) -> None:
    first, rest = genuine.bundle.lines().split(b"\n", 1)
    deep = first.replace(b"{", b'{"extra":' + b"[" * 65 + b"]" * 65 + b",", 1)
    with pytest.raises(BundleFormatError, match="nested deeper"):
        verify_bytes(deep + b"\n" + rest, genuine.log_key)


def test_astral_characters_spelled_as_surrogate_pairs_are_text(genuine: Genuine) -> None:
    first, rest = genuine.bundle.lines().split(b"\n", 1)
    spelled = first.replace(b"{", b'{"note":"\\ud83d\\ude42",', 1)  # JSON's spelling of U+1F642
    outcome = verify_bytes(spelled + b"\n" + rest, genuine.log_key)
    assert outcome.failures == []
    assert outcome.verdict == _verify(genuine, genuine.bundle).verdict


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (b"[" * MAX_NESTING + b"]" * MAX_NESTING, False),
        (b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1), True),
        (b'["' + b"[" * 1000 + b'"]', False),  # brackets inside a string are text
        (b'["\\"' + b"[" * 1000 + b'"]', False),  # so is what follows an escaped quote
        (b'["\\\\", ' + b"[" * 100 + b"]" * 100 + b"]", True),  # an escaped backslash ends it
        (b"[" * 100_000, True),
    ],
)
def test_nesting_is_judged_outside_strings(text: bytes, deep: bool) -> None:
    assert too_deep(text) is deep
