"""Bound JSON nesting before parsing (a deep document exhausts the parser's stack)."""

from __future__ import annotations

import re

MAX_NESTING = 64
"""Levels of arrays and objects a bundle, a payload or a state file may nest (a bundle needs 5)."""

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def _brackets(data: bytes) -> bytes:
    """The brackets of `data` outside its strings, `{}` spelled `[]`."""
    outside = b"".join(_ESCAPE.sub(b"", data).split(b'"')[::2])  # escapes first: `\"` is text
    return outside.translate(None, _NOT_BRACKETS).replace(b"{", b"[").replace(b"}", b"]")


def too_deep(data: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether `data` opens more than `limit` arrays or objects inside one another.

    Malformed text is judged as written (the parser refuses it afterwards). The common case
    costs a pass in C (counting the openings, strings and all: never fewer than the depth);
    beyond the limit, a few more: `limit` rounds of dropping innermost `[]` pairs empty any document
    no deeper than `limit`; only what is left is walked bracket by bracket.
    """
    if data.count(b"[") + data.count(b"{") <= limit:  # fewer openings than the limit in all
        return False
    brackets = _brackets(data)
    rest = brackets
    for _ in range(limit):
        shorter = rest.replace(b"[]", b"")
        if shorter == rest:
            break
        rest = shorter
    if not rest:
        return False
    depth = 0
    for byte in brackets:
        depth += 1 if byte == ord("[") else -1
        if depth > limit:
            return True
    return False
