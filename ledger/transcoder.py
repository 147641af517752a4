"""The stored events' JSON: eventsourcing's `JSONTranscoder` format, encoded with orjson.

An entry's stored state is a small dict (`index`, `timestamp`, `envelope_json`, `leaf_json`,
`leaf_hash`) whose two long strings the stdlib encoder escapes character by character; orjson
writes the same bytes (compact separators, non-ASCII unescaped, the same control-character
escapes) several times faster. A datetime still goes through the registered transcoding
(`{"_type_": "datetime_iso", "_data_": ...}`), so what is stored reads back with eventsourcing's
own decoder, and anything orjson refuses (a lone surrogate, an integer beyond 64 bits) is encoded
by the stdlib as before. tests/ledger/test_transcoder.py checks the bytes equal the stdlib's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
"""Datetimes go to the registered transcoding, as with the stdlib encoder."""
_SAME_BYTES = frozenset({str, int, bool, type(None), datetime})
"""The value types both encoders write alike (floats are not: `1e+16` and `1e16`)."""


class OrjsonTranscoder(JSONTranscoder):
    """`JSONTranscoder` whose `encode` is orjson's for a flat state of the types both write
    alike; anything else, and what orjson refuses, is encoded by eventsourcing's stdlib path.
    Decoding is eventsourcing's."""

    def encode(self, obj: Any) -> bytes:
        if type(obj) is dict and all(type(v) in _SAME_BYTES for v in obj.values()):
            try:
                return orjson.dumps(obj, default=self._encode_obj, option=_OPTIONS)
            except orjson.JSONEncodeError:  # a lone surrogate, an integer beyond 64 bits
                pass
        return super().encode(obj)
