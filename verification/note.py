"""C2SP signed notes and tlog checkpoints with Ed25519 keys in the Go `note` string formats."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from verification.errors import (
    BadSignatureError,
    MalformedCheckpointError,
    MalformedKeyError,
    MalformedNoteError,
    NoMatchingSignatureError,
    OriginMismatchError,
)

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100
"""Signature lines accepted in one note (the spec asks for at least 16; Go's note caps at 100)."""

_SIG_PREFIX = "\N{EM DASH} "
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile("[0-9a-f]{8}")
_SIZE = re.compile("0|[1-9][0-9]*")
_MAX_SIZE = 2**64 - 1


def _b64decode(text: str) -> bytes | None:
    """Standard padded base64, canonical only (re-encodes to the same text); None if not."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _is_valid_name(name: str) -> bool:
    """Non-empty, valid UTF-8, no '+', no Unicode space, no control character."""
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class _Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


@dataclass(frozen=True)
class _Signer:
    name: str
    key_id: bytes
    private_key: Ed25519PrivateKey


def _split_key(fields: list[str], kind: str) -> tuple[str, bytes, bytes]:
    """(name, key id, 32-byte key) from [name, hex8, base64(0x01 || key)]."""
    if len(fields) != 3:
        raise MalformedKeyError(f"{kind} key is not name+hash+key")
    name, hash_hex, key_b64 = fields
    if not _is_valid_name(name):
        raise MalformedKeyError(f"invalid key name {name!r}")
    if not _HEX8.fullmatch(hash_hex):
        raise MalformedKeyError(f"key hash {hash_hex!r} is not 8 lowercase hex digits")
    raw = _b64decode(key_b64)
    if raw is None or not raw:
        raise MalformedKeyError(f"{kind} key is not canonical base64")
    if raw[0] != ALG_ED25519:
        raise MalformedKeyError(f"unknown key algorithm {raw[0]:#04x}")
    if len(raw) != 33:
        raise MalformedKeyError(f"{kind} key is {len(raw) - 1} bytes, expected 32")
    return name, bytes.fromhex(hash_hex), raw[1:]


def _parse_verifier(verifier_key: str) -> _Verifier:
    name, key_id, raw = _split_key(verifier_key.split("+", 2), "verifier")
    if _key_id(name, raw) != key_id:
        raise MalformedKeyError(f"key hash {key_id.hex()} does not match the key")
    return _Verifier(name, key_id, Ed25519PublicKey.from_public_bytes(raw))


def _parse_signer(private_key: str) -> _Signer:
    fields = private_key.split("+", 4)
    if fields[:2] != ["PRIVATE", "KEY"]:
        raise MalformedKeyError("private key does not start with PRIVATE+KEY+")
    name, key_id, seed = _split_key(fields[2:], "private")
    key = Ed25519PrivateKey.from_private_bytes(seed)
    if _key_id(name, _raw_public(key.public_key())) != key_id:
        raise MalformedKeyError(f"key hash {key_id.hex()} does not match the key")
    return _Signer(name, key_id, key)


def _verifier_string(name: str, public_key: bytes) -> str:
    return f"{name}+{_key_id(name, public_key).hex()}+{_b64(bytes([ALG_ED25519]) + public_key)}"


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key: (PRIVATE+KEY+name+hash+b64(0x01||seed), name+hash+b64(0x01||pub))."""
    if not _is_valid_name(name):
        raise MalformedKeyError(f"invalid key name {name!r}")
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    public = _raw_public(key.public_key())
    private = (
        f"PRIVATE+KEY+{name}+{_key_id(name, public).hex()}+{_b64(bytes([ALG_ED25519]) + seed)}"
    )
    return private, _verifier_string(name, public)


def verifier_key_from_private(private_key: str) -> str:
    """The verifier key string of a private key string."""
    return NoteSigner(private_key).verifier_key


def key_name(verifier_key: str) -> str:
    """The name of a (validated) verifier key string."""
    return _parse_verifier(verifier_key).name


def key_id(verifier_key: str) -> bytes:
    """The 4-byte key id of a (validated) verifier key string."""
    return _parse_verifier(verifier_key).key_id


def _check_text(text: str, what: str) -> bytes:
    """UTF-8 of `text`, refusing invalid UTF-8 and control characters other than newline."""
    if _CONTROL.search(text):
        raise MalformedNoteError(f"{what} contains a control character")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedNoteError(f"{what} is not valid UTF-8") from exc


def sign_note(text: str, private_key: str) -> str:
    """`text`, a blank line and one signature line "— <name> base64(key id || Ed25519 sig)"."""
    return NoteSigner(private_key).sign(text)


class NoteSigner:
    """A private key string parsed once, for signing many notes (each checkpoint of a log).

    Parsing derives the public key to check the key hash, which costs more than a signature.
    """

    def __init__(self, private_key: str) -> None:
        self._signer = _parse_signer(private_key)

    @property
    def verifier_key(self) -> str:
        signer = self._signer
        return _verifier_string(signer.name, _raw_public(signer.private_key.public_key()))

    def sign(self, text: str) -> str:
        """`text`, a blank line and this key's signature line."""
        if not text.endswith("\n"):
            raise MalformedNoteError("note text must end with a newline")
        message = _check_text(text, "note text")
        signer = self._signer
        signature = signer.private_key.sign(message)
        return f"{text}\n{_SIG_PREFIX}{signer.name} {_b64(signer.key_id + signature)}\n"


def verify_note(note: str, verifier_key: str) -> str:
    """The text of `note` once a signature by `verifier_key` verifies; other signers are ignored.

    Every line naming this key (name and key id) must verify, else BadSignatureError.
    """
    verifier = _parse_verifier(verifier_key)
    _check_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("signature block must be non-empty and end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"{len(lines)} signature lines, at most {MAX_SIGNATURES}")
    message = text.encode("utf-8")
    seen: list[str] = []
    verified = False
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError(f"not a signature line: {line!r}")
        name, _, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
        raw = _b64decode(sig_b64)
        if not _is_valid_name(name) or raw is None or len(raw) < 5:
            raise MalformedNoteError(f"malformed signature line: {line!r}")
        line_key_id, signature = raw[:4], raw[4:]
        seen.append(f"{name}+{line_key_id.hex()}")
        if name != verifier.name or line_key_id != verifier.key_id:
            continue
        try:
            if len(signature) != 64:
                raise InvalidSignature
            verifier.public_key.verify(signature, message)
        except InvalidSignature:
            raise BadSignatureError(name, line_key_id) from None
        verified = True
    if not verified:
        raise NoMatchingSignatureError(verifier.name, verifier.key_id, tuple(seen))
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint note text: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def format_checkpoint(origin: str, size: int, root: bytes, extensions: tuple[str, ...] = ()) -> str:
    """The checkpoint text "origin\\nsize\\nbase64(root)\\n" (plus any extension lines)."""
    for line in (origin, *extensions):
        if not line or "\n" in line:
            raise MalformedCheckpointError(f"checkpoint line {line!r} is empty or has a newline")
    if not 0 <= size <= _MAX_SIZE:
        raise MalformedCheckpointError(f"tree size {size} is out of range")
    if len(root) != 32:
        raise MalformedCheckpointError(f"root hash is {len(root)} bytes, expected 32")
    text = "".join(f"{line}\n" for line in (origin, str(size), _b64(root), *extensions))
    _check_text(text, "checkpoint")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Strictly parse a checkpoint note text (as returned by `verify_note`)."""
    _check_text(text, "checkpoint")
    if not text.endswith("\n"):
        raise MalformedCheckpointError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpointError(f"checkpoint has {len(lines)} lines, expected at least 3")
    origin, size_text, root_b64, *extensions = lines
    if not origin:
        raise MalformedCheckpointError("origin line is empty")
    if not _SIZE.fullmatch(size_text) or int(size_text) > _MAX_SIZE:
        raise MalformedCheckpointError(f"tree size {size_text!r} is not a canonical decimal")
    root = _b64decode(root_b64)
    if root is None or len(root) != 32:
        raise MalformedCheckpointError(f"root hash {root_b64!r} is not base64 of 32 bytes")
    if any(not line for line in extensions):
        raise MalformedCheckpointError("extension lines must be non-empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def verify_checkpoint(note: str, verifier_key: str) -> Checkpoint:
    """Verify a signed checkpoint note and parse it; the key name must equal the origin."""
    checkpoint = parse_checkpoint(verify_note(note, verifier_key))
    name = key_name(verifier_key)
    if checkpoint.origin != name:
        raise OriginMismatchError(expected=name, actual=checkpoint.origin)
    return checkpoint
