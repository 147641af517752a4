"""The operator's own events: genesis, organisations, keys and revocations, signed and appended."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from ledger.errors import EnvelopeRejectedError
from ledger.ledger import Clock, Ledger, Receipt
from ledger.signing import EnvelopeSigner
from verification.dsse import keyid_of
from verification.ed25519 import is_strong_public_key
from verification.leaf import format_instant

OPERATOR = "operator"


class Operator:
    """Signs operator events with the operator key and appends them through the ledger."""

    def __init__(self, ledger: Ledger, signer: EnvelopeSigner, clock: Clock) -> None:
        self.ledger = ledger  # the registry log's
        self.signer = signer
        self.clock = clock

    def _append(self, kind: str, subject: str, data: dict[str, object]) -> Receipt:
        payload = {
            "type": kind,
            "agency": OPERATOR,
            "subject": subject,
            "actor": OPERATOR,
            "occurred_at": format_instant(self.clock()),
            "data": data,
        }
        return self.ledger.append([self.ledger.prepare(self.signer.sign(payload))])[0]

    def bootstrap(self) -> Receipt | None:
        """Entry 0 of a new registry log: the operator organisation and its key, self-signed."""
        if self.ledger.size > 0:
            return None
        return self._append(
            "key.registered",
            f"key:{self.signer.keyid}",
            {
                "org": OPERATOR,
                "public_key": self.signer.public_key_b64,
                "holder": None,
                "valid_from": format_instant(self.clock()),
            },
        )

    def add_org(self, org: str, kind: str, name: str) -> Receipt:
        return self._append("org.registered", org, {"kind": kind, "name": name})

    def add_key(
        self, org: str, public_key_b64: str, holder: str | None, valid_from: datetime | None = None
    ) -> tuple[str, Receipt]:
        try:
            raw = base64.b64decode(public_key_b64, validate=True)
        except (binascii.Error, ValueError):
            raise EnvelopeRejectedError("public_key must be standard base64") from None
        if len(raw) != 32:
            raise EnvelopeRejectedError("public_key must be the 32 raw bytes of an Ed25519 key")
        if not is_strong_public_key(raw):
            raise EnvelopeRejectedError(
                "public_key is a small-order or non-canonical Ed25519 point (it would verify"
                " forged signatures)"
            )
        keyid = keyid_of(raw)
        receipt = self._append(
            "key.registered",
            f"key:{keyid}",
            {
                "org": org,
                "public_key": public_key_b64,
                "holder": holder,
                "valid_from": format_instant(valid_from or self.clock()),
            },
        )
        return keyid, receipt

    def redact(self, log: str, index: int, basis: str, reason: str) -> Receipt:
        """The registry's `entry.redacted` naming entry `index` of `log` (ledger/redaction.py
        erases the payload after it)."""
        return self._append(
            "entry.redacted",
            f"redaction:{log}:{index}",
            {"log": log, "index": index, "basis": basis, "reason": reason},
        )

    def revoke_key(self, keyid: str, reason: str, effective_at: datetime | None = None) -> Receipt:
        return self._append(
            "key.revoked",
            f"key:{keyid}",
            {"effective_at": format_instant(effective_at or self.clock()), "reason": reason},
        )
