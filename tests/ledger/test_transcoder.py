"""The stored events' JSON written by orjson is byte for byte what eventsourcing's stdlib
transcoder writes, and reads back with eventsourcing's decoder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from ledger.records import EntryRecorded
from ledger.store import LogApplication
from ledger.transcoder import OrjsonTranscoder

ALL_ASCII = "".join(chr(c) for c in range(128))
TEXTS = [
    "",
    ALL_ASCII,
    '{"payload":"eyJ0eXBlIjoid2ZhLnJlcXVlc3RlZCJ9","signatures":[{"keyid":"k","sig":"A=="}]}',
    "Rumah, Arga Makmur — é ñ 日本 \u2028\u2029 \U0001f600 \x7f \u00a0 \ufeff",
    "\\u0061 \\\\ \\\" quotes \" and backslashes \\",
]


def _both() -> tuple[JSONTranscoder, OrjsonTranscoder]:
    stdlib, fast = JSONTranscoder(), OrjsonTranscoder()
    app = Application[uuid.UUID](env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for transcoder in (stdlib, fast):
        app.register_transcodings(transcoder)
    return stdlib, fast


@pytest.mark.parametrize("text", TEXTS)
def test_an_entrys_state_is_encoded_to_the_stdlib_bytes(text: str) -> None:
    stdlib, fast = _both()
    event = EntryRecorded(
        originator_id=uuid.uuid4(),
        originator_version=3,
        timestamp=datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC),
        index=2**40,
        envelope_json=text,
        leaf_json=text[::-1],
        leaf_hash="ab" * 32,
    )
    state = dict(vars(event))
    del state["originator_id"], state["originator_version"]
    encoded = fast.encode(state)
    assert encoded == stdlib.encode(state)
    assert stdlib.decode(encoded) == state


@pytest.mark.parametrize(
    "state",
    [
        {"ratio": 1e16, "small": 0.1},  # floats: the encoders differ, so the stdlib writes them
        {"big": 2**70},  # beyond orjson's 64 bits
        {"lone": "\ud800"},  # orjson refuses it; the stdlib's utf-8 step refuses it too
        {"nested": {"at": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=7)))}},
        {"id": uuid.UUID(int=7), "amount": Decimal("1.50")},
        {"flag": True, "none": None, "list": [1, "a"]},
    ],
)
def test_what_orjson_would_write_otherwise_goes_the_stdlib_way(state: dict[str, object]) -> None:
    stdlib, fast = _both()
    try:
        expected = stdlib.encode(state)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            fast.encode(state)
        return
    assert fast.encode(state) == expected


def test_the_log_application_stores_with_the_orjson_transcoder() -> None:
    app = LogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert isinstance(app.mapper.transcoder, OrjsonTranscoder)
