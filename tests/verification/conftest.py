"""Fixtures of the verifier's tests."""

from __future__ import annotations

import pytest

from tests.verification.bundle2_builder import Ledger2, genuine_ledger


@pytest.fixture(scope="module")
def ledger() -> Ledger2:
    """A genuine registry and agency log built without the ledger (bundle2_builder)."""
    return genuine_ledger()
