"""Where the pages link to, in one place: every entry is named by (log, index), and every
evidence link goes to that log's per-log page or route (`/logs/{log}/...`, `/v1/logs/{log}/...`)."""

from __future__ import annotations

from urllib.parse import quote


def _q(value: object) -> str:
    return quote(str(value), safe="")


def entry_url(log: object, index: object) -> str:
    return f"/logs/{_q(log)}/entries/{int(str(index))}"


def subject_url(log: object, subject: object) -> str:
    return f"/logs/{_q(log)}/subjects/{_q(subject)}"


def complaint_url(log: object, subject: object) -> str:
    return f"/logs/{_q(log)}/complaints/{_q(subject)}"


def bundle_url(log: object, subject: object) -> str:
    """The complaint's bundle, as the page streams it (`GET /v1/bundles?complaint=`)."""
    return f"{complaint_url(log, subject)}/bundle"


def proof_url(log: object, index: object, size: object) -> str:
    """The public RFC 9162 inclusion proof of an entry against a checkpoint of its log."""
    return f"/v1/logs/{_q(log)}/proofs/inclusion?index={int(str(index))}&size={int(str(size))}"


def checkpoint_url(log: object, size: object | None = None) -> str:
    """The log's latest signed checkpoint, or the one published at `size`."""
    if size is None:
        return f"/v1/logs/{_q(log)}/checkpoint"
    return f"/v1/logs/{_q(log)}/checkpoints/{int(str(size))}"
