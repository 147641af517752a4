"""Read a `jejak-bundle/2` file: streamed by its line layout, or whole (`--whole`).

The layout (docs/bundle.md): line 1 is the header ending in `"records":[`, then one record per
line followed by a comma except the last, then `]}`. The streamed reader holds one line at a
time; a file that breaks the layout is unusable input (BundleFormatError), nothing verified.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from verification.failures import BundleFormatError
from verification.nesting import MAX_NESTING, too_deep
from verification.records import (
    FORMAT,
    NO_LONGER_READ,
    Header,
    RangeRecord,
    Record,
    parse_header,
    parse_record,
)

MAX_LINE = 256 * 1024 * 1024
"""Bytes one line may hold (a record: an entry with its payload, or a range's hashes)."""

SCAN_REPORTS = 2000
"""Lines between two progress reports of the first pass."""

OPEN = b'"records":['
_LEGACY = re.compile(rb'"format"\s*:\s*"jejak-bundle/1"')
TAIL = b"]}"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_RANGE = re.compile(rb'"record"\s*:\s*"range"')


def refuse_lone_surrogates(obj: object, where: str) -> None:
    """JSON can spell a lone surrogate (`\\ud800`), which is no text: no leaf or note holds one."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            refuse_lone_surrogates(key, where)
            refuse_lone_surrogates(value, f"{where}.{key}")
    elif isinstance(obj, list):
        for n, item in enumerate(obj):
            refuse_lone_surrogates(item, f"{where}[{n}]")
    elif isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            raise BundleFormatError(f"{where} holds a lone surrogate, not text") from None


_NOT_FAST = object()
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def _fast(text: bytes) -> object:
    """`text` parsed by orjson where it gives what `json.loads` gives: not with 19 digits in a
    row (orjson reads an integer past 64 bits as a float), not where orjson refuses the text
    (a lone surrogate, NaN, an infinite number: the standard parser has its say)."""
    if _LONG_NUMBER.search(text):
        return _NOT_FAST
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_FAST


def decode(text: bytes, where: str) -> object:
    """One JSON text, its nesting bounded before parsing and lone surrogates refused."""
    if too_deep(text):
        raise BundleFormatError(f"{where}: JSON nested deeper than {MAX_NESTING} levels")
    obj = _fast(text)
    if obj is _NOT_FAST:
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise BundleFormatError(f"{where} is not JSON: {error}") from None
    if _SURROGATE_ESCAPE.search(text):
        refuse_lone_surrogates(obj, where)
    return obj


def _line(stream: BinaryIO, number: int) -> bytes | None:
    """Line `number` without its newline; None at the end of the file."""
    raw = stream.readline(MAX_LINE + 1)
    if not raw:
        return None
    if len(raw) > MAX_LINE:
        raise BundleFormatError(f"line {number} is longer than {MAX_LINE} bytes")
    return raw[:-1] if raw.endswith(b"\n") else raw


def _layout_error(number: int, detail: str) -> BundleFormatError:
    return BundleFormatError(
        f"line {number}: {detail} (not the jejak-bundle/2 line layout; --whole reads it whole)"
    )


def read_header(stream: BinaryIO) -> Header:
    """Line 1: the header, ending inside the open records list."""
    first = _line(stream, 1)
    if first is None:
        raise BundleFormatError("the file is empty")
    if is_legacy(first):
        raise BundleFormatError(NO_LONGER_READ)
    if not first.startswith(b"{") or not first.endswith(OPEN):
        if first.lstrip().startswith(b"{") and FORMAT.encode() not in first:
            raise BundleFormatError("not a jejak-bundle/2 (line 1 names no such format)")
        raise _layout_error(1, 'the header must be one line ending in "records":[')
    obj = decode(first + TAIL, "line 1")
    if not isinstance(obj, dict) or obj.get("records") != []:
        raise _layout_error(1, "the header's records list is not last")
    del obj["records"]
    return parse_header(obj)


def stream_records(stream: BinaryIO) -> Iterator[Record]:
    """The records after the header (call `read_header` first), one line at a time."""
    for number, text in record_lines(stream):
        yield parse_record(decode(text, f"line {number}"), f"line {number}")


def record_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Each record's line number and JSON text (its comma dropped), the layout checked as the
    lines go by: an error is raised where the line that breaks it is reached."""
    number, expect_more = 1, None  # None: no record yet; True: a comma was seen; False: last
    while True:
        number += 1
        line = _line(stream, number)
        if line is None:
            raise _layout_error(number, "the file ends before the closing ]}")
        if line == TAIL:
            if expect_more:
                raise _layout_error(number - 1, "the last record is followed by a comma")
            if stream.read(1):
                raise _layout_error(number + 1, "text after the closing ]}")
            return
        if expect_more is False:
            raise _layout_error(number - 1, "a record without its comma before another")
        expect_more = line.endswith(b",")
        text = line[:-1] if expect_more else line
        if not text.startswith(b"{") or not text.endswith(b"}"):
            raise _layout_error(number, "a record line holds one JSON object")
        yield number, text


@dataclass(frozen=True)
class Scan:
    """What a first pass over the lines finds: the range records and how many records there
    are (the lines between the header and the closing `]}`)."""

    ranges: tuple[RangeRecord, ...]
    records: int


def scan_ranges(stream: BinaryIO, progress: Callable[[int], None] | None = None) -> Scan:
    """Every `range` record of the file, found without decoding the other lines.

    A JSON string cannot hold `"record":"range"` unescaped, so only range records match; the
    full pass reports any layout error this scan skips over. `progress` hears the position
    reached every `SCAN_REPORTS` lines and at the end.
    """
    found: list[RangeRecord] = []
    number = 0
    while True:
        number += 1
        line = _line(stream, number)
        if progress is not None and (line is None or number % SCAN_REPORTS == 0):
            progress(stream.tell())
        if line is None:
            return Scan(tuple(found), max(0, number - 3))
        if number == 1 or not _RANGE.search(line):
            continue
        text = line[:-1] if line.endswith(b",") else line
        record = parse_record(decode(text, f"line {number}"), f"line {number}")
        if isinstance(record, RangeRecord):
            found.append(record)


def read_whole(data: bytes) -> tuple[Header, list[Record]]:
    """`--whole`: the file as one JSON document, whatever its line breaks."""
    obj = decode(data, "bundle")
    if not isinstance(obj, dict):
        raise BundleFormatError("a bundle is a JSON object")
    records = obj.pop("records", None)
    header = parse_header(obj)  # the format first: a jejak-bundle/1 is named as such
    if not isinstance(records, list):
        raise BundleFormatError("bundle.records is missing or not a list")
    return header, [parse_record(item, f"records[{n}]") for n, item in enumerate(records)]


def is_legacy(first_bytes: bytes) -> bool:
    """Whether a file's first bytes name jejak-bundle/1 as their format (a JSON string cannot
    hold `"format":"` unescaped, so no field's text can pass for it)."""
    return _LEGACY.search(first_bytes) is not None


def names_format(first_bytes: bytes) -> bool:
    """Whether a file's first bytes name jejak-bundle/2."""
    return b'"' + FORMAT.encode() + b'"' in first_bytes
