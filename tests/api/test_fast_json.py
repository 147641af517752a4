"""The append routes' orjson response writes Starlette's bytes, and falls back where it must."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from api.responses import FastJSONResponse

RECEIPT_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(deadline=None, max_examples=300)
@given(RECEIPT_LIKE)
def test_orjson_response_bytes_equal_starlettes(value: object) -> None:
    assert FastJSONResponse(value).body == JSONResponse(value).body


def test_what_orjson_refuses_is_rendered_by_starlette() -> None:
    value = {"n": 2**70, "k": {1: "non-string key"}}
    assert (
        FastJSONResponse(value).body
        == JSONResponse(value).body
        == b'{"n":1180591620717411303424,"k":{"1":"non-string key"}}'
    )
