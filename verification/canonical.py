"""RFC 8785 (JCS) canonical JSON: orjson where it provably equals JCS, `rfc8785` elsewhere.

orjson with sorted keys writes JCS's bytes exactly for strings, integers within ±2^53, booleans,
null, arrays and objects whose keys are ASCII. It differs on floats (number formatting), on larger
integers (JCS refuses them), and may differ on key order for non-ASCII keys: JCS sorts by UTF-16
code units, orjson by code points, which disagree when one key holds a character above U+FFFF and
another one in U+E000..U+FFFF. Anything outside the safe set goes to `rfc8785`.
"""

from __future__ import annotations

import orjson
import rfc8785

from verification.leaf import Leaf

MAX_SAFE = 2**53 - 1
"""The largest integer JCS (ECMAScript numbers) writes exactly."""


def fast_path_safe(value: object) -> bool:
    """True iff orjson's sorted output of `value` is its JCS encoding (see the module doc)."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -MAX_SAFE <= value <= MAX_SAFE
    if isinstance(value, list):
        return all(fast_path_safe(item) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and key.isascii() and fast_path_safe(item)
            for key, item in value.items()
        )
    return False  # floats, tuples, anything else


def canonical_json(value: object) -> bytes:
    """The JCS bytes of a JSON value (str, int, bool, None, float, list, dict with str keys)."""
    if fast_path_safe(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: let rfc8785 say what it says
            pass
    encoded: bytes = rfc8785.dumps(value)  # type: ignore[arg-type]  # any JSON value
    return encoded


def leaf_canonical(leaf: Leaf) -> bytes:
    """`Leaf.canonical()`, the bytes the server hashed, at orjson's cost.

    A leaf's keys are ASCII and its values strings, null and two integers (version, registry
    size); either beyond 2^53, or a string orjson refuses (a lone surrogate), takes
    `Leaf.canonical()` itself.
    """
    if leaf.version > MAX_SAFE or leaf.registry_size > MAX_SAFE:
        return leaf.canonical()
    try:
        return orjson.dumps(leaf.as_json(), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return leaf.canonical()
