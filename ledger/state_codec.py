"""A flat, versioned encoding of the folded state's values: what snapshots and working sets
store in a database and read back.

Every value is `MAGIC + FORMAT + CRC-32 + JSON`: JSON written and read by msgspec against the
map's declared type (`domain.store.Stores`' annotations), so a value read back is the same
frozen dataclass, date, offset-aware datetime, tuple or frozenset it was, and anything else (a
flipped byte, another format, a row of another map) is refused with `CodecError` instead of
being folded. Nothing is pickled: the bytes come from a shared database, not from this process.

Two shapes need more than the declared type: a subject's step (`Step`) holds a value that may
be any aggregate, so it names its aggregate's type; and the persistent `Chain` lists
(one node per entry, far deeper than any recursive encoder or decoder allows) are written as
flat arrays and rebuilt by a loop.
"""

from __future__ import annotations

import typing
import zlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import msgspec

from domain.aggregates import Aggregate, Annotation
from domain.flags import Flag
from domain.store import Chain, Layered, Step, Stores

MAGIC = b"J"
FORMAT = 2
"""The encoding's version: a value of another version is refused, not guessed at."""

_HEADER = MAGIC + bytes([FORMAT])
_AGGREGATES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in typing.get_args(Aggregate)  # Org | Key | ... as one union
}
_NAMES = {cls: name for name, cls in _AGGREGATES.items()}
_encoder = msgspec.json.Encoder()


class CodecError(ValueError):
    """Bytes that are not a value of this encoding (damaged, another version, another map)."""


def seal(body: bytes) -> bytes:
    """Frame JSON `body`: magic, format version and its CRC-32."""
    return _HEADER + zlib.crc32(body).to_bytes(4, "big") + body


def unseal(data: bytes) -> bytes:
    """The JSON body of a sealed value; CodecError when the frame or its checksum is wrong."""
    if len(data) < 6 or data[:1] != MAGIC:
        raise CodecError("not a Jejak state value (no magic byte)")
    if data[1] != FORMAT:
        raise CodecError(f"state value of format {data[1]}, this version reads format {FORMAT}")
    body = data[6:]
    if zlib.crc32(body).to_bytes(4, "big") != data[2:6]:
        raise CodecError("state value damaged (its checksum does not match)")
    return body


def encode(value: object) -> bytes:
    """A sealed value of a type msgspec knows (dataclasses of the domain, dates, tuples)."""
    return seal(_encoder.encode(value))


def decode(data: bytes, kind: Any) -> Any:
    """The value of type `kind` sealed in `data`; CodecError for anything else."""
    try:
        return msgspec.json.decode(unseal(data), type=kind)
    except msgspec.DecodeError as error:  # ValidationError is one
        raise CodecError(f"state value unreadable as {_type_name(kind)}: {error}") from error


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or str(kind)


# -- the maps of the state ---------------------------------------------------------------


@dataclass(frozen=True)
class MapCodec:
    """How one map's keys and values are written and read back."""

    name: str
    key_type: Any
    value_type: Any
    encode_value: Callable[[object], bytes]
    decode_value: Callable[[bytes], object]

    def encode_key(self, key: object) -> bytes:
        """The key's bytes: the same key always gives the same bytes (no checksum: keys are
        looked up, not trusted)."""
        return _encoder.encode(key)

    def decode_key(self, data: bytes) -> object:
        try:
            return msgspec.json.decode(data, type=self.key_type)
        except msgspec.DecodeError as error:
            raise CodecError(f"{self.name} key unreadable: {error}") from error


_STEP_ROW = tuple[int, datetime, str | None, msgspec.Raw, tuple[Flag, ...], Annotation | None]


def _encode_step(value: object) -> bytes:
    assert isinstance(value, Step)
    name = None if value.value is None else _NAMES[type(value.value)]
    row = (
        value.index,
        value.integrated_at,
        name,
        msgspec.Raw(_encoder.encode(value.value)),
        value.flags,
        value.annotation,
    )
    return seal(_encoder.encode(row))


def _decode_step(data: bytes) -> Step:
    index, at, name, raw, flags, annotation = decode(data, _STEP_ROW)
    value: Aggregate | None = None
    if name is not None:
        cls = _AGGREGATES.get(name)
        if cls is None:
            raise CodecError(f"a step holds an unknown aggregate {name!r}")
        try:
            value = msgspec.json.decode(raw, type=cls)
        except msgspec.DecodeError as error:
            raise CodecError(f"a step's {name} unreadable: {error}") from error
    return Step(index, at, value, flags, annotation)


def _chain_codec(item_type: Any) -> tuple[Callable[[object], bytes], Callable[[bytes], object]]:
    def encode_chain(value: object) -> bytes:
        assert isinstance(value, Chain)
        return seal(_encoder.encode(list(value)))  # iterative: head first

    def decode_chain(data: bytes) -> Chain[Any] | None:
        chain: Chain[Any] | None = None
        for item in reversed(decode(data, list[item_type])):
            chain = Chain(item, chain)
        return chain

    return encode_chain, decode_chain


def _map_codec(name: str, declared: Any) -> MapCodec:
    origin = typing.get_origin(declared)
    assert origin is Layered, f"Stores.{name} is not a layered map"
    key_type, value_type = typing.get_args(declared)
    if value_type is Step:
        return MapCodec(name, key_type, value_type, _encode_step, _decode_step)
    if typing.get_origin(value_type) is Chain:
        (item_type,) = typing.get_args(value_type)
        write, read = _chain_codec(item_type)
        return MapCodec(name, key_type, value_type, write, read)
    return MapCodec(name, key_type, value_type, encode, lambda data: decode(data, value_type))


def _state_maps() -> dict[str, MapCodec]:
    hints = typing.get_type_hints(Stores)  # resolved in domain.store
    return {f.name: _map_codec(f.name, hints[f.name]) for f in fields(Stores)}


STATE_MAPS: dict[str, MapCodec] = _state_maps()
"""The codec of every map of `domain.store.Stores`, by the map's name."""


def encode_changes(changed: dict[str, dict[object, object]]) -> list[tuple[str, bytes, bytes]]:
    """(map, key bytes, value bytes) rows of a state's changed values (`LedgerState.dirty`)."""
    rows = []
    for name, values in changed.items():
        codec = STATE_MAPS[name]
        for key, value in values.items():
            rows.append((name, codec.encode_key(key), codec.encode_value(value)))
    return rows
