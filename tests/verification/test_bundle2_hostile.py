"""Hostile bundle/2 input: unusable (BundleFormatError, exit 2) or a named failure, no crash."""

from __future__ import annotations

import io

import pytest

from tests.domain.builders import AGENCY
from tests.verification.bundle2_builder import (
    OPERATOR,
    Bundle2,
    Ledger2,
    period_bundle,
)
from verification.failures import BundleFormatError
from verification.outcome import Outcome
from verification.report import render_json, render_text
from verification.verifier import verify_stream


def verify(ledger: Ledger2, data: bytes) -> Outcome:
    return verify_stream(io.BytesIO(data), ledger.log_key)


def test_a_record_nested_100000_levels_is_unusable(ledger: Ledger2) -> None:
    lines = period_bundle(ledger).lines().split(b"\n")
    lines.insert(
        2,
        b'{"record":"head","log":"operator","subject":"x","proof":'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"},",
    )
    with pytest.raises(BundleFormatError, match="nested deeper than 64"):
        verify(ledger, b"\n".join(lines))


def test_a_lone_surrogate_in_a_leaf_is_unusable(ledger: Ledger2) -> None:
    data = (
        period_bundle(ledger).lines().replace(b'"subject":"req-1"', b'"subject":"req-\\ud800"', 1)
    )
    with pytest.raises(BundleFormatError, match="lone surrogate"):
        verify(ledger, data)


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "kemarin"])
def test_an_integrated_at_outside_the_years_is_unusable(ledger: Ledger2, instant: str) -> None:
    bundle = period_bundle(ledger)
    bundle.entry(AGENCY, 5)["leaf"]["integrated_at"] = instant
    with pytest.raises(BundleFormatError, match="integrated_at"):
        verify(ledger, bundle.lines())


def test_an_as_of_outside_the_years_is_unusable(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    bundle.header["as_of"] = "9999-12-31T23:59:59Z"
    with pytest.raises(BundleFormatError, match="as_of"):
        verify(ledger, bundle.lines())


def test_bundle_1_is_not_read_as_bundle_2(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    bundle.header["format"] = "jejak-bundle/1"
    with pytest.raises(BundleFormatError, match="format jejak-bundle/1 is no longer read"):
        verify(ledger, bundle.lines())


def _moved(bundle: Bundle2, position: int, to: int) -> Bundle2:
    bundle.records.insert(to, bundle.records.pop(position))
    return bundle


def test_an_entry_outside_its_logs_group_is_unusable(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    agency_entry = next(
        n for n, r in enumerate(bundle.records) if r["record"] == "entry" and r["log"] == AGENCY
    )
    with pytest.raises(BundleFormatError, match="outside its group"):
        verify(ledger, _moved(bundle, agency_entry, 1).lines())


def test_the_registry_log_must_come_first(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    bundle.records = [r for r in bundle.records if r["log"] != OPERATOR]
    with pytest.raises(BundleFormatError, match="registry log"):
        verify(ledger, bundle.lines())


def test_an_unknown_record_is_unusable(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    bundle.records.append({"record": "note", "log": AGENCY})
    with pytest.raises(BundleFormatError, match="not log, entry, range or head"):
        verify(ledger, bundle.lines())


def test_the_report_escapes_terminal_controls_from_the_bundle(ledger: Ledger2) -> None:
    bundle = period_bundle(ledger)
    bundle.entry(AGENCY, 5)["leaf"]["subject"] = "req-1\x1b[2J\rVERIFIED, COMPLETE"
    outcome = verify(ledger, bundle.lines())
    text, as_json = render_text(outcome), render_json(outcome)
    assert text.startswith("FAILED")
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\x1b" not in as_json
