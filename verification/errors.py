"""Errors of the verification package: each carries the values that disagreed."""

from __future__ import annotations

import traceback
from pathlib import Path


def unexpected(error: BaseException) -> str:
    """One line for an error nobody foresaw: its type, its message and where it was raised
    (a worker's error as the worker told it)."""
    if isinstance(error, WorkerError):
        return error.told
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


class WorkerError(Exception):
    """An error nobody foresaw, raised in a worker process: `told` is its `unexpected` line."""

    def __init__(self, told: str) -> None:
        super().__init__(told)
        self.told = told


def _rebuilt(
    cls: type[VerificationError], state: dict[str, object], args: tuple[object, ...]
) -> VerificationError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.args = args
    return error


class VerificationError(Exception):
    """Base of every failure found while verifying log data."""

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled by state (a worker's failures travel so): the constructors of the
        subclasses take other arguments than the `args` they leave."""
        return _rebuilt, (type(self), dict(self.__dict__), self.args)


class MalformedEnvelopeError(VerificationError):
    """A DSSE envelope is not of the expected shape or encoding."""


class TooManySignaturesError(MalformedEnvelopeError):
    """A well-formed envelope over the input bound on signatures (DESIGN §5): 422, not 400."""

    rule = "too-many-signatures"


class HashLengthError(VerificationError):
    """A hash (`what`: leaf, root, proof[i], ...) is not `expected` bytes long."""

    def __init__(self, what: str, length: int, expected: int = 32) -> None:
        self.what = what
        self.length = length
        self.expected = expected
        super().__init__(f"{what} is {length} bytes long, expected {expected}")


class IndexOutOfRangeError(VerificationError):
    """A leaf index is not inside [0, size)."""

    def __init__(self, index: int, size: int) -> None:
        self.index = index
        self.size = size
        super().__init__(f"leaf index {index} is not in a tree of size {size}")


class InvalidProofError(VerificationError):
    """A proof cannot be checked as given: wrong shape, length or sizes."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ProofLengthError(InvalidProofError):
    """A proof has `actual` elements where the tree shape requires `expected`."""

    def __init__(self, kind: str, expected: int, actual: int) -> None:
        self.kind = kind
        self.expected = expected
        self.actual = actual
        super().__init__(f"{kind} proof has {actual} hashes, expected {expected}")


class TreeSizeError(InvalidProofError):
    """A consistency proof was asked between sizes that admit none."""

    def __init__(self, old_size: int, new_size: int, reason: str) -> None:
        self.old_size = old_size
        self.new_size = new_size
        super().__init__(f"no consistency proof from size {old_size} to {new_size}: {reason}")


class RootMismatchError(VerificationError):
    """The root computed from a proof is not the expected one."""

    def __init__(self, expected: bytes, calculated: bytes, what: str = "root") -> None:
        self.expected = expected
        self.calculated = calculated
        self.what = what
        super().__init__(
            f"calculated {what} {calculated.hex()} does not match expected {expected.hex()}"
        )


class MalformedKeyError(VerificationError):
    """A note key string (or key name) is not of the expected form."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"malformed key: {reason}")


class MalformedNoteError(VerificationError):
    """A signed note (or its text) does not follow the C2SP signed-note format."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"malformed note: {reason}")


class MalformedCheckpointError(MalformedNoteError):
    """A note text is not a C2SP tlog-checkpoint."""


class BadSignatureError(VerificationError):
    """A signature line names the trusted key (name and key id) but does not verify."""

    def __init__(self, key_name: str, key_id: bytes) -> None:
        self.key_name = key_name
        self.key_id = key_id
        super().__init__(f"invalid signature for key {key_name}+{key_id.hex()}")


class NoMatchingSignatureError(VerificationError):
    """No signature line of the note is by the trusted key; `seen` lists the lines' keys."""

    def __init__(self, key_name: str, key_id: bytes, seen: tuple[str, ...]) -> None:
        self.key_name = key_name
        self.key_id = key_id
        self.seen = seen
        super().__init__(
            f"note has no signature by {key_name}+{key_id.hex()}"
            f" (signed by: {', '.join(seen) or 'none'})"
        )


class OriginMismatchError(VerificationError):
    """A checkpoint's origin line is not the name of the key that must sign it."""

    def __init__(self, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"checkpoint origin {actual!r} is not the log key name {expected!r}")
