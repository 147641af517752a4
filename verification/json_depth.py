"""Whether JSON text nests too deeply, found by scanning its bytes before any recursive parse."""

from __future__ import annotations

import re

MAX_DEPTH = 64
"""Arrays and objects nest at most this deep in anything the ledger or the verifier parses."""

_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def too_deep(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in `text` nest deeper than `limit` levels (strings skipped).

    Text with too few brackets to nest that deep is not scanned; otherwise one pass over the
    bytes, stopping as soon as the depth passes `limit`.
    """
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False
