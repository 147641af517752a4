"""DSSE base64 in verification.dsse takes a shortcut for standard padded base64 (binascii's
strict mode): on any text it decodes, keeps and refuses exactly as the regular-expression
reading of DSSE's base64, kept here as written before the shortcut."""

from __future__ import annotations

import base64
import binascii
import itertools
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from verification.dsse import _decoded, as_standard, b64decode_dsse, parse_envelope
from verification.errors import MalformedEnvelopeError

_STANDARD = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def reference_decode(text: str, what: str) -> bytes:
    if _STANDARD.fullmatch(text):
        alphabet = b"+/"
    elif _URL_SAFE.fullmatch(text):
        alphabet = b"-_"
    else:
        raise MalformedEnvelopeError(f"{what} is not base64 (standard or URL-safe)")
    bare = text.rstrip("=")
    if len(bare) % 4 == 1 or (text != bare and len(text) % 4 != 0):
        raise MalformedEnvelopeError(f"{what} is not base64: wrong length or padding")
    padded = bare + "=" * (-len(bare) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedEnvelopeError(f"{what} is not base64") from None


def outcome(decode: object, text: str) -> tuple[object, ...]:
    try:
        decoded = decode(text, "payload")  # type: ignore[operator]
    except MalformedEnvelopeError as exc:
        return ("refused", str(exc))
    return ("decoded", decoded)


def assert_as_before(text: str) -> None:
    before = outcome(reference_decode, text)
    assert outcome(b64decode_dsse, text) == before
    if before[0] == "decoded":
        raw = before[1]
        assert isinstance(raw, bytes)
        before = ("decoded", (raw, as_standard(text, raw)))
    assert outcome(_decoded, text) == before


def test_every_short_text_of_base64_characters_as_before() -> None:
    """Every text of up to 5 characters over both alphabets, padding and a stray byte, and of 8
    over a few (a full group with more padding, "QQQQ====")."""
    for length, alphabet in [*((n, "AQw+/_=\n") for n in range(6)), (8, "Q_=")]:
        for chars in itertools.product(alphabet, repeat=length):
            assert_as_before("".join(chars))


_TEXTS = st.text(alphabet="ABQgw09+/-_= \n\u00e9", max_size=24)


@settings(max_examples=2000, deadline=None)
@given(text=st.one_of(_TEXTS, st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())))
@example("QUJD=")
@example("QUJD====")
@example("QQ==QQ==")
@example("QR==")
@example("Q===")
@example("")
def test_any_text_as_before(text: str) -> None:
    assert_as_before(text)


@pytest.mark.parametrize(
    "encode",
    [
        base64.b64encode,
        base64.urlsafe_b64encode,
        lambda b: base64.b64encode(b).rstrip(b"="),
        lambda b: base64.urlsafe_b64encode(b).rstrip(b"="),
    ],
)
def test_envelopes_keep_standard_base64(encode: object) -> None:
    payload, sig = b"{\xfe\xff>>>?}", bytes(range(64))
    envelope = parse_envelope(
        {
            "payloadType": "t",
            "payload": encode(payload).decode(),  # type: ignore[operator]
            "signatures": [{"sig": encode(sig).decode()}],  # type: ignore[operator]
        }
    )
    assert envelope.payload == payload
    assert envelope.payload_b64 == base64.b64encode(payload).decode()
    assert envelope.signatures[0].sig == base64.b64encode(sig).decode()
