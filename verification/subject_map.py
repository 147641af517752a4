"""The subject map (docs/subject-map.md): a 16-ary Merkle tree over 65,536 buckets that commits
to every subject's head (version, leaf hash) at a log size; its proofs and their verification.

Pure: hashlib only. `SubjectMap` is the incremental in-memory map the ledger's writer keeps and
the tests rebuild; `verify_subject_proof` is what a verifier runs against a signed map note.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from verification.errors import RootMismatchError, VerificationError

LEVELS = 4
"""Inner levels above the buckets: 0 (the root), 1, 2, 3; the buckets are level 4."""
FANOUT = 16
BUCKETS = FANOUT**LEVELS
BUCKET_PREFIX, NODE_PREFIX = b"\x02", b"\x03"
ITEM_BYTES = 32 + 8 + 32  # key, u64be(version), leaf hash
MAX_VERSION = 2**64 - 1
SubjectHead = tuple[str, int, bytes]
"""A subject, the version of its newest entry and that entry's leaf hash."""
_HEX64 = re.compile("[0-9a-f]{64}")

NodeKey = tuple[int, int]
"""(level, index): level 4 is a bucket, levels 3..0 inner nodes."""


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def subject_key(subject: str) -> bytes:
    """SHA-256 of the subject's UTF-8 bytes."""
    return _sha256(subject.encode("utf-8", "surrogatepass"))


def bucket_of(key: bytes) -> int:
    """The bucket of a subject key: its first 16 bits."""
    return key[0] * 256 + key[1]


@dataclass(frozen=True)
class BucketItem:
    """One subject's head in a bucket."""

    key: bytes
    version: int
    leaf_hash: bytes

    def as_json(self) -> dict[str, object]:
        return {"key": self.key.hex(), "version": self.version, "leaf_hash": self.leaf_hash.hex()}


@dataclass(frozen=True)
class Head:
    """A subject's head at a log size: the last entry of its chain."""

    version: int
    leaf_hash: bytes


def bucket_body(items: Iterable[BucketItem]) -> bytes:
    """The bytes hashed (after 0x02) for a bucket: its items in the order given."""
    return b"".join(i.key + i.version.to_bytes(8, "big") + i.leaf_hash for i in items)


def parse_bucket_body(body: bytes) -> list[BucketItem]:
    """The items of a stored bucket body (the inverse of `bucket_body`)."""
    if len(body) % ITEM_BYTES:
        raise VerificationError(f"a bucket body of {len(body)} bytes is not whole items")
    return [
        BucketItem(
            body[at : at + 32],
            int.from_bytes(body[at + 32 : at + 40], "big"),
            body[at + 40 : at + 72],
        )
        for at in range(0, len(body), ITEM_BYTES)
    ]


def bucket_hash(body: bytes) -> bytes:
    return _sha256(BUCKET_PREFIX + body)


def node_hash(children: Sequence[bytes]) -> bytes:
    """An inner node over its 16 children's hashes, in child order."""
    if len(children) != FANOUT:
        raise VerificationError(f"an inner node has {len(children)} children, not {FANOUT}")
    return _sha256(NODE_PREFIX + b"".join(children))


def _empty_hashes() -> tuple[bytes, ...]:
    found = [bucket_hash(b"")]  # level 4
    for _ in range(LEVELS):
        found.append(node_hash([found[-1]] * FANOUT))
    return tuple(reversed(found))  # indexed by level: EMPTY[0] is the empty map's root


EMPTY = _empty_hashes()
"""The hash of a subtree without any subject, by level (EMPTY[4] = E4 ... EMPTY[0] = E0)."""


def path(bucket: int) -> list[tuple[NodeKey, int]]:
    """From the bucket up: each ancestor node (level 3 first, the root last) and the position
    of the path's child within it."""
    return [
        ((level, bucket >> (4 * (LEVELS - level))), (bucket >> (4 * (LEVELS - 1 - level))) & 15)
        for level in range(LEVELS - 1, -1, -1)
    ]


# Proofs ----------------------------------------------------------------------------------


class SubjectProofError(VerificationError):
    """A subject-map proof that does not prove a head against the given root; `code` names
    the kind in the test vectors (tests/verification/vectors/subject_map.json)."""

    code = "invalid"


class SubjectProofFormatError(SubjectProofError):
    """A proof not of the shape docs/subject-map.md gives (`where` names the field)."""

    code = "format"

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"subject-map proof: {where} {reason}")


class BucketItemError(SubjectProofError):
    """A bucket item that breaks the bucket's rules: `expected` and `actual` say how."""

    code = "bucket-item"

    def __init__(self, position: int, expected: str, actual: str) -> None:
        self.position = position
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"subject-map proof: bucket item {position} is {actual}, expected {expected}"
        )


class SubjectRootMismatchError(SubjectProofError, RootMismatchError):
    """The proof rebuilds a root other than the note's."""

    code = "root-mismatch"

    def __init__(self, expected: bytes, calculated: bytes) -> None:
        RootMismatchError.__init__(self, expected, calculated, "subject-map root")


class SubjectProofSizeError(SubjectProofError):
    """A proof of another size than the note it is checked against (a stale proof)."""

    code = "stale-size"

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"subject-map proof is of size {actual}, the note's size is {expected}")


@dataclass(frozen=True)
class SubjectProof:
    subject: str
    size: int
    bucket: tuple[BucketItem, ...]
    siblings: tuple[tuple[bytes, ...], ...]

    def as_json(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "size": self.size,
            "bucket": [item.as_json() for item in self.bucket],
            "siblings": [[h.hex() for h in level] for level in self.siblings],
        }


def _hex32(value: object, where: str) -> bytes:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise SubjectProofFormatError(where, "is not 64-digit lowercase hex")
    return bytes.fromhex(value)


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SubjectProofFormatError(where, "is not an integer")
    return value


def parse_subject_proof(obj: object) -> SubjectProof:
    """A proof from its JSON form; SubjectProofFormatError for anything else."""
    if not isinstance(obj, Mapping):
        raise SubjectProofFormatError("proof", "is not an object")
    subject = obj.get("subject")
    if not isinstance(subject, str):
        raise SubjectProofFormatError("subject", "is not a string")
    size = _int(obj.get("size"), "size")
    if not 0 <= size <= MAX_VERSION:
        raise SubjectProofFormatError("size", "is out of range")
    raw_bucket = obj.get("bucket")
    if not isinstance(raw_bucket, list) or len(raw_bucket) > 1_000_000:
        raise SubjectProofFormatError("bucket", "is not a list")
    items = []
    for n, raw in enumerate(raw_bucket):
        where = f"bucket[{n}]"
        if not isinstance(raw, Mapping):
            raise SubjectProofFormatError(where, "is not an object")
        items.append(
            BucketItem(
                _hex32(raw.get("key"), f"{where}.key"),
                _int(raw.get("version"), f"{where}.version"),
                _hex32(raw.get("leaf_hash"), f"{where}.leaf_hash"),
            )
        )
    raw_siblings = obj.get("siblings")
    if not isinstance(raw_siblings, list) or len(raw_siblings) != LEVELS:
        raise SubjectProofFormatError("siblings", f"is not a list of {LEVELS} lists")
    siblings = []
    for j, level in enumerate(raw_siblings):
        if not isinstance(level, list) or len(level) != FANOUT - 1:
            raise SubjectProofFormatError(f"siblings[{j}]", f"does not hold {FANOUT - 1} hashes")
        siblings.append(tuple(_hex32(h, f"siblings[{j}][{i}]") for i, h in enumerate(level)))
    return SubjectProof(subject, size, tuple(items), tuple(siblings))


def check_bucket(bucket: int, items: Sequence[BucketItem]) -> None:
    """Every item in `bucket`, keys strictly increasing, versions in 1..2^64-1."""
    previous: bytes | None = None
    for n, item in enumerate(items):
        if bucket_of(item.key) != bucket:
            raise BucketItemError(
                n, f"a key in bucket {bucket}", f"in bucket {bucket_of(item.key)}"
            )
        if previous is not None and item.key <= previous:
            raise BucketItemError(
                n, "a key above the previous item's", "not above it (unsorted or repeated)"
            )
        if not 1 <= item.version <= MAX_VERSION:
            raise BucketItemError(n, "a version of at least 1", f"version {item.version}")
        previous = item.key


def proof_root(proof: SubjectProof) -> bytes:
    """The root the proof rebuilds (after checking its bucket)."""
    bucket = bucket_of(subject_key(proof.subject))
    check_bucket(bucket, proof.bucket)
    h = bucket_hash(bucket_body(proof.bucket))
    for j, ((_, _), position) in enumerate(path(bucket)):
        children = list(proof.siblings[j])
        children.insert(position, h)
        h = node_hash(children)
    return h


def verify_subject_proof(proof: SubjectProof, root: bytes, size: int | None = None) -> Head | None:
    """The subject's head that the proof proves against `root` (a note of `size` when given),
    or None when it proves the subject absent. Raises SubjectProofError."""
    if size is not None and proof.size != size:
        raise SubjectProofSizeError(size, proof.size)
    calculated = proof_root(proof)
    if calculated != root:
        raise SubjectRootMismatchError(root, calculated)
    key = subject_key(proof.subject)
    for item in proof.bucket:
        if item.key == key:
            return Head(item.version, item.leaf_hash)
    return None


def proof_from_bodies(subject: str, size: int, bodies: Mapping[NodeKey, bytes]) -> SubjectProof:
    """A proof from the stored bodies of the subject's bucket and its four ancestors (a body
    missing from `bodies` is an empty subtree)."""
    bucket = bucket_of(subject_key(subject))
    items = tuple(parse_bucket_body(bodies.get((LEVELS, bucket), b"")))
    siblings = []
    for node, position in path(bucket):
        body = bodies.get(node)
        level = node[0]
        if body is None:
            children = [EMPTY[level + 1]] * FANOUT
        else:
            children = [body[i * 32 : i * 32 + 32] for i in range(FANOUT)]
        siblings.append(tuple(children[:position] + children[position + 1 :]))
    return SubjectProof(subject, size, items, tuple(siblings))


def proof_keys(subject: str) -> list[NodeKey]:
    """The stored bodies a proof of `subject` reads: its bucket and the four nodes above."""
    bucket = bucket_of(subject_key(subject))
    return [(LEVELS, bucket), *(node for node, _ in path(bucket))]


# The incremental map ----------------------------------------------------------------------


@dataclass
class MapChange:
    """What a set of new heads changes: each touched node's new body (a bucket's items, an
    inner node's 16 child hashes) and the new root; `SubjectMap.apply` makes it current."""

    buckets: dict[int, dict[bytes, tuple[int, bytes]]] = field(default_factory=dict)
    children: dict[NodeKey, list[bytes]] = field(default_factory=dict)
    root: bytes = EMPTY[0]
    bodies: dict[NodeKey, bytes] = field(default_factory=dict)  # each touched node's body

    def rows(self) -> list[tuple[int, int, bytes]]:
        """(level, index, body) of every touched node."""
        return [(level, idx, body) for (level, idx), body in self.bodies.items()]


def _items(heads: Mapping[bytes, tuple[int, bytes]]) -> list[BucketItem]:
    return [BucketItem(key, *heads[key]) for key in sorted(heads)]


def _body(heads: Mapping[bytes, tuple[int, bytes]]) -> bytes:
    """`bucket_body` of a bucket's heads in key order, without building its items."""
    return b"".join(key + heads[key][0].to_bytes(8, "big") + heads[key][1] for key in sorted(heads))


KeyedHead = tuple[bytes, int, bytes]
"""A subject's key (`subject_key`), the version of its newest entry and that entry's leaf hash."""


def map_change(
    heads: Iterable[KeyedHead],
    buckets: Mapping[int, Mapping[bytes, tuple[int, bytes]]],
    children: Mapping[NodeKey, Sequence[bytes]],
) -> MapChange:
    """The change that sets each (key, version, leaf hash) as its subject's head over a map
    given by the heads of its buckets and the 16 child hashes of its inner nodes (a bucket or
    node missing from them is empty). `buckets` must hold every bucket of `heads` that has
    heads and `children` every non-empty node above them and the root: the map in memory
    (`SubjectMap`) or the part of it the writer read from the store."""
    change = MapChange()
    for key, version, leaf_hash in heads:
        bucket = bucket_of(key)
        if bucket not in change.buckets:
            change.buckets[bucket] = dict(buckets.get(bucket, {}))
        change.buckets[bucket][key] = (version, leaf_hash)
    bodies = change.bodies
    touched: dict[int, bytes] = {}  # index -> hash of the touched nodes of one level
    for bucket, bucket_heads in change.buckets.items():
        body = bodies[(LEVELS, bucket)] = _body(bucket_heads)
        touched[bucket] = _sha256(BUCKET_PREFIX + body)
    new_children = change.children
    for level in range(LEVELS - 1, -1, -1):
        parents: set[int] = set()
        for idx, digest in touched.items():
            parent = (level, idx >> 4)
            found = new_children.get(parent)
            if found is None:
                existing = children.get(parent)
                found = new_children[parent] = (
                    list(existing) if existing is not None else [EMPTY[level + 1]] * FANOUT
                )
            found[idx & 15] = digest
            parents.add(idx >> 4)
        touched = {}
        for idx in parents:
            body = bodies[(level, idx)] = b"".join(new_children[(level, idx)])
            touched[idx] = _sha256(NODE_PREFIX + body)
    if touched:
        change.root = touched[0]
    else:
        root = children.get((0, 0))
        change.root = EMPTY[0] if root is None else node_hash(root)
    return change


class SubjectMap:
    """Every subject's head, with the tree's inner nodes kept (4,369 of them at most)."""

    def __init__(self) -> None:
        self.buckets: dict[int, dict[bytes, tuple[int, bytes]]] = {}
        self.children: dict[NodeKey, list[bytes]] = {}

    @property
    def root(self) -> bytes:
        root = self.children.get((0, 0))
        return EMPTY[0] if root is None else node_hash(root)

    def change(self, heads: Iterable[SubjectHead]) -> MapChange:
        """The change that sets each (subject, version, leaf hash) as its subject's head,
        computed without changing this map."""
        keyed = (
            (subject_key(subject), version, leaf_hash) for subject, version, leaf_hash in heads
        )
        return map_change(keyed, self.buckets, self.children)

    def apply(self, change: MapChange) -> None:
        self.buckets.update(change.buckets)
        self.children.update(change.children)

    def set_heads(self, heads: Iterable[SubjectHead]) -> MapChange:
        change = self.change(heads)
        self.apply(change)
        return change

    def bodies(self) -> list[tuple[int, int, bytes]]:
        """Every non-empty node's body: what a store holds of this map, written at once."""
        found = [(LEVELS, b, _body(heads)) for b, heads in sorted(self.buckets.items())]
        found += [(lvl, idx, b"".join(c)) for (lvl, idx), c in sorted(self.children.items())]
        return found

    def proof(self, subject: str, size: int) -> SubjectProof:
        """The proof of `subject` against this map's current root (labelled `size`)."""
        keys = proof_keys(subject)
        bodies: dict[NodeKey, bytes] = {}
        bucket = self.buckets.get(keys[0][1])
        if bucket is not None:
            bodies[keys[0]] = bucket_body(_items(bucket))
        for node in keys[1:]:
            children = self.children.get(node)
            if children is not None:
                bodies[node] = b"".join(children)
        return proof_from_bodies(subject, size, bodies)
