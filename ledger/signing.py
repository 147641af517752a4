"""Signing: checkpoints with the log's note key, envelopes with an Ed25519 key."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from verification.dsse import PAYLOAD_TYPE, keyid_of, pae
from verification.note import NoteSigner, format_checkpoint, key_name


class CheckpointSigner:
    """Signs C2SP checkpoints with the ledger's one note key, named JEJAK_ORIGIN (DESIGN §4).

    `for_log(log)` signs that log's checkpoints, whose origin is `<JEJAK_ORIGIN>/<log>`."""

    def __init__(self, origin: str, private_key: str, log: str | None = None) -> None:
        self._signer = NoteSigner(private_key)
        self.verifier_key = self._signer.verifier_key
        if key_name(self.verifier_key) != origin:
            raise ValueError(
                f"the log key is named {key_name(self.verifier_key)!r} but the origin is {origin!r}"
            )
        self.name = origin
        self._private_key = private_key
        self.origin = origin if log is None else log_origin(origin, log)

    def for_log(self, log: str) -> CheckpointSigner:
        return CheckpointSigner(self.name, self._private_key, log)

    def sign(self, size: int, root: bytes) -> str:
        return self._signer.sign(format_checkpoint(self.origin, size, root))

    def sign_subject_map(self, size: int, root: bytes) -> str:
        """The subject-map note beside the checkpoint of `size` (docs/subject-map.md)."""
        return self._signer.sign(format_checkpoint(subject_map_origin(self.origin), size, root))


def log_origin(name: str, log: str) -> str:
    """A log's checkpoint origin: the note key's name, a slash, the log id."""
    return f"{name}/{log}"


def subject_map_origin(log_origin: str) -> str:
    """The origin of a log's subject-map notes: its checkpoint origin and `/subjects`."""
    return f"{log_origin}/subjects"


class EnvelopeSigner:
    """Builds and signs DSSE envelopes with one Ed25519 key (operator, demo, tests)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.keyid = keyid_of(self.public_key)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode()

    def sign(self, payload: Mapping[str, object]) -> dict[str, object]:
        """A DSSE envelope over the compact UTF-8 JSON of `payload`."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        signature = self._key.sign(pae(PAYLOAD_TYPE, body))
        return {
            "payloadType": PAYLOAD_TYPE,
            "payload": base64.b64encode(body).decode(),
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(signature).decode()}],
        }
