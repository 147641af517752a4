"""parse_payload's fast path for plain payloads (`_decode_plain`) against the checked decoder:
whatever it takes, the checked decoder accepts as the same dict, and parse_payload returns the
same Event, or refuses with the same error, with the fast path or without it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import events
from domain.errors import PayloadInvalid, UnknownEventType
from domain.events import parse_payload
from domain.fields import MAX_LIST, MAX_STRING
from tests.domain.builders import (
    AGENCY,
    STAFF,
    employee_data,
    key_data,
    keyid,
    policy_data,
    request_data,
)

OUTPUT = {
    "date": "2026-12-07",
    "outputs": [{"title": "lap", "target": "t1", "evidence_sha256": None}],
}
PRESENCE = {
    "date": "2026-12-07",
    "in": "07:30",
    "out": None,
    "location_kind": "office",
    "source": "mesin absen",
}
UNIT_DATA = {
    "name": "Umum",
    "public_service": False,
    "service_hours": {"start": "08:00", "end": "16:00"},
    "min_on_site": 0,
}
EVALUATION = {
    "employee": STAFF,
    "period": "2026",
    "results": "sesuai",
    "behaviour": "sesuai",
    "predikat": "baik",
}


def body(type: str, subject: str, data: object, **fields: object) -> dict[str, object]:
    return {
        "type": type,
        "agency": AGENCY,
        "subject": subject,
        "actor": STAFF,
        "occurred_at": "2026-12-01T08:00:00.123456+07:00",
        "data": data,
        **fields,
    }


def compact(value: object) -> bytes:
    """How the signers write a payload (ledger.signing.EnvelopeSigner)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


VALID = [
    body("wfa.requested", "req-1", request_data()),
    body("wfa.requested", "req-1", request_data(reason="Rapat: laporan, \u00e9t\u00e9 \U0001f600")),
    body("wfa.requested", "req-1", request_data(e_kinerja_ref={"a": [True, False, None, {}]})),
    body("wfa.requested", "req-1", request_data(reason="x" * MAX_STRING)),
    body("wfa.requested", "req-1", request_data(reason="baris satu\nbaris dua\tkolom")),
    body("wfa.approved", "req-1", {"note": "ok"}),
    body("wfa.approved", "req-1", {}),
    body("wfa.rejected", "req-1", {"reason": "kuota unit penuh"}),
    body("work.output_reported", "req-1", OUTPUT),
    body("presence.recorded", STAFF, PRESENCE),
    body("employee.enrolled", STAFF, employee_data()),
    body("employee.updated", STAFF, {"supervisor": None}),
    body("evaluation.recorded", f"eval:{STAFF}:2026", EVALUATION),
    body("unit.registered", "kab-a/umum", UNIT_DATA),
    body("policy.enacted", f"policy:{AGENCY}", policy_data()),
    body("key.registered", f"key:{keyid('k')}", key_data("k", AGENCY), agency="operator"),
    body("wfa.requested", "req-1", request_data(), occurred_at="2026-12-01T01:00:00Z"),
]

INVALID = [
    body("wfa.teleported", "req-1", {}),
    body("wfa.requested", "req-1", request_data(dates=[])),
    body("wfa.requested", "req-1", request_data(employee=198001)),
    body("wfa.requested", "req-1", request_data(kind=None)),
    body("wfa.requested", "req-1", request_data(reason="x" * (MAX_STRING + 1))),
    body("wfa.requested", "req-1", request_data(extra=[None] * (MAX_LIST + 1))),
    body("wfa.requested", "req-1", request_data(extra=[None] * MAX_LIST)),
    body("wfa.requested", "req-1", request_data(extra=dict.fromkeys(map(str, range(1001))))),
    body("wfa.requested", "req-1/history", request_data()),
    body("wfa.requested", "req-1", request_data(), occurred_at="2026-12-01T08:00:00"),
    body("wfa.requested", "req-1", request_data(), occurred_at=True),
    body("wfa.requested", "req-1", request_data(), occurred_at="2100-01-01T00:00:00Z"),
    body("wfa.requested", "req-1", request_data(), occurred_at="2099-12-31T23:00:00-05:00"),
    body("wfa.requested", "req-1", request_data(), occurred_at="2000-01-01T03:00:00+07:00"),
    body("wfa.requested", "req-1", request_data(), occurred_at="2026-02-30T00:00:00Z"),
    body("wfa.requested", "req-1", [request_data()]),
    body("wfa.requested", "req-1", None),
    body("wfa.requested", "", request_data()),
    body("wfa.requested", "req-1", request_data(), agency="Kab-A"),
    body("wfa.requested", "req-1", request_data(), actor=None),
    body("employee.updated", STAFF, {}),
    body("employee.enrolled", "1980", employee_data()),
    body("policy.enacted", "policy:kab-b", policy_data()),
    body("org.registered", "kab-z", {"kind": "agency", "name": "Z"}),
    body("evaluation.recorded", f"eval:{STAFF}:2025", EVALUATION),
    {"type": "wfa.requested"},
    {},
]


def nest(depth: int) -> object:
    value: object = None
    for _ in range(depth):
        value = [value]
    return value


# Texts, most of them plain but for one detail (a repeat, an escape, a number, a byte).
_PLAIN = compact(VALID[0])
_DATA = b'"data":{'
PLAIN = [
    _PLAIN,
    b"{}",
    _PLAIN.replace(_DATA, _DATA + b'"x":"[[[[[[[[[[[[[[[[[[[[",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"' + b"," * MAX_LIST + b'",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"1e400 NaN \xe2\x80\xa8 \xef\xbb\xbf",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"a\\tb\\n",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":["\\n:",{"a":"\\t"}],'),
]
RAW = [
    _PLAIN.replace(b'{"type"', b'{"type":"x","type"'),
    _PLAIN.replace(_DATA, _DATA + b'"kind":"time",'),
    _PLAIN.replace(b'"id":"t1"', b'"id":"t1","id":"t2"'),
    _PLAIN.replace(b'"kind":"domicile"', b'"kind":"domicile","kind":"domicile"'),
    _PLAIN.replace(_DATA, _DATA + b'"x":{"a":1,"a":1},'),
    _PLAIN.replace(_DATA, _DATA + b'"x":{"a":"1","\\u0061":"1"},'),
    _PLAIN.replace(_DATA, _DATA + b'"\\u0065mployee":"1",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\u0000",'),
    _PLAIN.replace(_DATA, _DATA + b'"x\\n":"1",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\\\n",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\\\\\n",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\n\\r",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\n\\u0001",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\n\\/",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\n\\"",'),
    _PLAIN.replace(_DATA, _DATA + b'"a\\tb":"1",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":{"\\n":"\\n"},'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\n","\\u0078":"1",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\n","x":"\\n",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\ud800",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\ud83d\\ude00",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\xed\xa0\x80",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\xc0\xaf",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\xff",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\x01",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":NaN,'),
    _PLAIN.replace(_DATA, _DATA + b'"x":Infinity,'),
    _PLAIN.replace(_DATA, _DATA + b'"x":1e400,'),
    _PLAIN.replace(_DATA, _DATA + b'"x":1.5,'),
    _PLAIN.replace(_DATA, _DATA + b'"x":-0,'),
    _PLAIN.replace(_DATA, _DATA + b'"x":9007199254740993,'),
    _PLAIN.replace(_DATA, _DATA + b'"x":' + b"1" * 400 + b","),
    _PLAIN.replace(_DATA, _DATA + b'"x":' + compact(nest(15)) + b","),
    _PLAIN.replace(_DATA, _DATA + b'"x":' + compact(nest(16)) + b","),
    _PLAIN.replace(_DATA, _DATA + b'"x":' + compact(nest(40)) + b","),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\"",'),
    _PLAIN.replace(_DATA, _DATA + b'"x":"\\\\",'),
    _PLAIN.replace(b'"reason":', b'"reason" :'),
    _PLAIN.replace(b'"reason":', b'"reason":\n'),
    _PLAIN + b"\n",
    b" " + _PLAIN,
    b"\xef\xbb\xbf" + _PLAIN,
    _PLAIN.replace(b'"', b"'"),
    _PLAIN[:-1],
    _PLAIN + b"}",
    _PLAIN + _PLAIN,
    json.dumps(VALID[1]).encode(),
    compact(VALID[1]).replace("\u00e9".encode(), b"\\u00e9"),
    b"[]",
    b'"x"',
    b"null",
    b"",
    b"\xff\xfe",
    b"{not json",
    b'{"type": "a", "type": "b"}',
    b'{"x": NaN}',
]


@contextmanager
def checked_only() -> Iterator[None]:
    """parse_payload without the fast path: every payload through `_decode_checked`."""
    with mock.patch.object(events, "_decode_plain", return_value=None):
        yield


def outcome(payload: bytes) -> tuple[object, ...]:
    """What parse_payload makes of the payload, comparable in full (key order and types)."""
    try:
        event = parse_payload(payload)
    except (PayloadInvalid, UnknownEventType) as exc:
        return (type(exc), str(exc))
    return (
        event.type,
        event.agency,
        event.subject,
        event.actor,
        repr(event.occurred_at),
        type(event.data),
        repr(event.data),
        event.data.model_fields_set,
        repr(dict(event.payload)),
        type(event.payload),
    )


def assert_same(payload: bytes) -> None:
    plain = events._decode_plain(payload)
    if plain is not None:
        assert repr(plain) == repr(events._decode_checked(payload))
    fast = outcome(payload)
    with checked_only():
        assert fast == outcome(payload)


CORPUS = [
    *(compact(p) for p in VALID + INVALID),
    *(json.dumps(p).encode() for p in VALID),
    *PLAIN,
    *RAW,
]


@pytest.mark.parametrize("payload", CORPUS)
def test_parse_payload_is_the_same_with_the_fast_path(payload: bytes) -> None:
    assert_same(payload)


def has_number(value: object) -> bool:
    if isinstance(value, dict):
        return any(has_number(v) for v in value.values())
    if isinstance(value, list):
        return any(has_number(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.parametrize("value", VALID)
def test_signers_payloads_take_the_fast_path(value: dict[str, object]) -> None:
    """The signers' compact payloads without numbers decode plain (the path is used at all)."""
    assert (events._decode_plain(compact(value)) is None) == has_number(value)


@pytest.mark.parametrize("payload", PLAIN)
def test_plain_texts_take_the_fast_path(payload: bytes) -> None:
    assert events._decode_plain(payload) is not None


@pytest.mark.parametrize("payload", RAW)
def test_any_detail_off_plain_takes_the_checked_decoder(payload: bytes) -> None:
    assert events._decode_plain(payload) is None


def test_plain_bounds_are_exact_where_they_matter() -> None:
    """4000 characters and 16 levels pass plain; beyond, the checked decoder names the field."""
    assert events._decode_plain(compact(VALID[3])) is not None
    with pytest.raises(PayloadInvalid, match=r"^data\.reason holds a string longer than 4000"):
        parse_payload(compact(INVALID[4]))
    with pytest.raises(PayloadInvalid, match="list longer than 1000"):
        parse_payload(compact(INVALID[5]))
    with pytest.raises(PayloadInvalid, match=r"^payload repeats the key 'id'"):
        parse_payload(_PLAIN.replace(b'"id":"t1"', b'"id":"t1","id":"t2"'))
    with pytest.raises(PayloadInvalid, match=r"^payload repeats the key 'a'"):
        parse_payload(_PLAIN.replace(_DATA, _DATA + b'"x":{"a":"1","\\u0061":"1"},'))
    with pytest.raises(PayloadInvalid, match=r"^payload repeats the key 'x'"):
        parse_payload(_PLAIN.replace(_DATA, _DATA + b'"x":"\\n","x":"\\n",'))
    with pytest.raises(PayloadInvalid, match=r"^a key of data\.x holds the control character"):
        parse_payload(_PLAIN.replace(_DATA, _DATA + b'"x":{"\\n":"\\n"},'))
    with pytest.raises(PayloadInvalid, match="nests deeper than 16"):
        parse_payload(_PLAIN.replace(_DATA, _DATA + b'"x":' + compact(nest(16)) + b","))


# -- any JSON-ish text: objects from lists of pairs (so keys may repeat), odd strings, numbers --

_CHARS = st.sampled_from(
    [
        *("a", "b", "A", ":", ",", "{", "}", "[", "]", " ", "1", "-", "e", "\u00e9", "\U0001f600"),
        *('"', "\\", "\n", "\t", "\x00", "\x1f", "\u2028", "\ud800"),
    ]
)
_STRINGS = st.lists(_CHARS, max_size=6).map("".join)


def _string(text: str, ascii_only: bool) -> str:
    try:
        return json.dumps(text, ensure_ascii=ascii_only)
    except UnicodeEncodeError:
        return json.dumps(text)


_SCALARS = st.one_of(
    st.just("null"),
    st.just("true"),
    st.just("false"),
    st.integers(-(2**60), 2**60).map(str),
    st.sampled_from(["1.5", "-0", "-0.0", "1e400", "NaN", "1E2", "9007199254740993", "01"]),
    st.builds(_string, _STRINGS, st.booleans()),
    st.sampled_from(['"\\u0061"', '"a"', '"\\ud800"', '"\\ud83d\\ude00"']),
)


def _container(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    keys = st.one_of(
        st.builds(_string, _STRINGS, st.booleans()), st.sampled_from(['"a"', '"\\u0061"'])
    )
    pairs = st.lists(st.tuples(keys, children), max_size=4)
    objects = pairs.map(lambda items: "{" + ",".join(f"{k}:{v}" for k, v in items) + "}")
    arrays = st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
    return st.one_of(objects, arrays)


_VALUES = st.recursive(_SCALARS, _container, max_leaves=20)
_TEXTS = st.builds(
    lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}",
    st.lists(
        st.tuples(st.sampled_from(['"type"', '"data"', '"a"', '"\\u0061"', '"x"']), _VALUES),
        max_size=5,
    ),
)


def assert_same_dict(payload: bytes) -> None:
    plain = events._decode_plain(payload)
    try:
        checked: object = events._decode_checked(payload)
    except PayloadInvalid as exc:
        checked = exc
    if plain is not None:
        assert repr(plain) == repr(checked)


# Texts that look plain (no escape, no number) with keys that often repeat at any depth.
_SIMPLE = st.recursive(
    st.sampled_from(["null", "true", "false", '"a"', '"x:y,{"', '""']),
    lambda children: st.one_of(
        st.lists(st.tuples(st.sampled_from(['"a"', '"b"', '"a:"']), children), max_size=3).map(
            lambda items: "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
        ),
        st.lists(children, max_size=3).map(lambda items: "[" + ",".join(items) + "]"),
    ),
    max_leaves=12,
)
_SIMPLE_TEXTS = st.lists(st.tuples(st.sampled_from(['"a"', '"b"']), _SIMPLE), max_size=3).map(
    lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(_TEXTS, _SIMPLE_TEXTS))
def test_any_text_decodes_the_same_with_the_fast_path(text: str) -> None:
    assert_same_dict(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(position=st.integers(0, len(_PLAIN) - 1), byte=st.integers(0, 255))
def test_any_byte_changed_decodes_the_same_with_the_fast_path(position: int, byte: int) -> None:
    payload = _PLAIN[:position] + bytes([byte]) + _PLAIN[position + 1 :]
    assert_same_dict(payload)
    assert_same(payload)


@settings(max_examples=300, deadline=None)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "employee": st.sampled_from([STAFF, "1", "\uff11"]),
            "kind": st.sampled_from(["location", "time", "x"]),
            "dates": st.lists(st.sampled_from(["2026-12-07", "2026-12-08", "2100-01-01"])),
            "location": st.sampled_from([None, {"kind": "domicile", "description": "r"}]),
            "time_pattern": st.sampled_from([None, "shift"]),
            "reason": _STRINGS,
            "targets": st.lists(st.fixed_dictionaries({"id": _STRINGS, "description": _STRINGS})),
            "note": _STRINGS,
        },
    ),
    type=st.sampled_from(["wfa.requested", "wfa.approved", "wfa.rejected"]),
    subject=_STRINGS,
    occurred_at=st.sampled_from(
        ["2026-12-01T08:00:00Z", "2026-12-01T08:00:00+07:00", "2026-12-01 08:00:00z", "x"]
    ),
)
def test_any_request_parses_the_same_with_the_fast_path(
    data: dict[str, object], type: str, subject: str, occurred_at: str
) -> None:
    value = body(type, f"req-{subject}", data, occurred_at=occurred_at)
    try:
        payload = compact(value)
    except UnicodeEncodeError:
        return
    assert_same(payload)
