"""Writing a `jejak-bundle/2` piece by piece in its line layout (for exporters that stream).

`BundleWriter` hands out the text of line 1, then of each record line (the comma that ends the
previous record goes in front), then the closing `]}`; what it writes, `verification.layout`
reads. Stored leaf JSON is embedded byte for byte, never re-serialised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from verification.records import FORMAT2


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _hashes(hashes: Iterable[bytes]) -> str:
    return "[" + ",".join(f'"{h.hex()}"' for h in hashes) + "]"


def log_record(
    log: str,
    origin: str,
    checkpoint: str,
    subject_map: str | None = None,
    consistency: tuple[int, Iterable[bytes]] | None = None,
) -> str:
    """A `log` record: the checkpoint note, the subject-map note, a consistency proof."""
    proof = (
        "null"
        if consistency is None
        else f'{{"from_size":{consistency[0]},"hashes":{_hashes(consistency[1])}}}'
    )
    return (
        f'{{"record":"log","log":{_json(log)},"origin":{_json(origin)},'
        f'"checkpoint":{_json(checkpoint)},"subject_map":{_json(subject_map)},'
        f'"consistency":{proof}}}'
    )


def entry_record(
    log: str,
    index: int,
    leaf_hash: str,
    leaf_json: str,
    payload_b64: str | None,
    missing: str | None = None,
    proof: Iterable[bytes] | None = None,
) -> str:
    """An `entry` record; `missing` is "redacted" or "withheld" when `payload_b64` is None;
    `proof` None when a range record covers the entry."""
    if (payload_b64 is None) != (missing is not None):
        raise ValueError("a payload, or the reason it is missing: exactly one")
    return (
        f'{{"record":"entry","log":{_json(log)},"index":{index},"leaf_hash":"{leaf_hash}",'
        f'"leaf":{leaf_json},"payload":{_json(payload_b64)},"missing":{_json(missing)},'
        f'"proof":{"null" if proof is None else _hashes(proof)}}}'
    )


def range_record(log: str, start: int, end: int, hashes: Iterable[bytes]) -> str:
    """A `range` record: entries [start, end) and the outside hashes of `ranges.range_nodes`."""
    return (
        f'{{"record":"range","log":{_json(log)},"start":{start},"end":{end},'
        f'"hashes":{_hashes(hashes)}}}'
    )


def head_record(log: str, subject: str, proof: object) -> str:
    return (
        f'{{"record":"head","log":{_json(log)},"subject":{_json(subject)},"proof":{_json(proof)}}}'
    )


class BundleWriter:
    """The line layout's punctuation: call `head`, then `record` for each, then `tail`."""

    def __init__(self) -> None:
        self._records = 0

    def head(
        self, *, log_key: str, claim: Mapping[str, object], as_of: str | None, reader: str | None
    ) -> str:
        fields = {"format": FORMAT2, "log_key": log_key, "claim": dict(claim), "as_of": as_of}
        return _json({**fields, "reader": reader})[:-1] + ',"records":['

    def record(self, text: str) -> str:
        """`text` (one record's JSON, no newline in it) as the next line."""
        if "\n" in text:
            raise ValueError("a record is one line")
        self._records += 1
        return ("\n" if self._records == 1 else ",\n") + text

    def tail(self) -> str:
        return "\n]}\n"
