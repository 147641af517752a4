"""Text safe for a terminal: control, invisible-format and line-separator characters escaped.

Everything the verifier prints from a bundle (or a server) is data an agency or a server chose;
printed raw, an escape sequence could clear the inspector's screen or a carriage return and a
line break could write a fake `VERIFIED` line. Each such character is shown instead as a Python
style escape (`\\x1b`, `\\r`, `\\u2028`), so what the inspector reads is exactly what was signed.
"""

from __future__ import annotations

import unicodedata

ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
"""C0, DEL and C1 controls; format characters (bidi controls, zero-widths, tags, BOM); the line
and paragraph separators U+2028/U+2029; lone surrogates (which cannot even be encoded)."""


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    return unicodedata.category(char) in ESCAPED_CATEGORIES


def printable(text: str) -> str:
    """`text` with every control or invisible-format character escaped (one line, always)."""
    if text.isprintable():  # the common case, checked in C: no category above occurs
        return text
    return "".join(_escape(char) if _needs_escape(char) else char for char in text)


def printable_json(text: str) -> str:
    """JSON text with the same characters escaped as `\\uXXXX`, which keeps it the same JSON.

    Outside strings JSON holds only ASCII punctuation, digits, letters and whitespace; the
    newlines of indentation are kept; every other such character can only sit inside a string,
    where a `\\u` escape means the very same character.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\n" or not _needs_escape(char):
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:  # outside the BMP: a UTF-16 surrogate pair, as JSON spells it
            code = ord(char) - 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out)
