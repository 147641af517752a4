"""Where the pages link to: one place, so the move to per-log paths (`/logs/{log}/...`) is one
edit here."""

from __future__ import annotations

from urllib.parse import quote


def entry_url(index: object) -> str:
    return f"/entries/{int(str(index))}"


def subject_url(subject: object) -> str:
    return f"/subjects/{quote(str(subject), safe='')}"


def proof_url(index: object, size: object) -> str:
    """The public RFC 9162 inclusion proof of an entry against a checkpoint's size."""
    return f"/v1/proofs/inclusion?index={int(str(index))}&size={int(str(size))}"
