"""The key registry as the bundle's operator entries build it, in index order (DESIGN §6)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.aggregates import Org
from domain.event_data import KeyRegistered, KeyRevokedData, OrgRegistered
from domain.events import OPERATOR, Event, public_key_bytes
from domain.rules.keys import allowed_signers, holder_may_sign
from verification.dsse import Signature
from verification.ed25519 import is_strong_public_key
from verification.failures import (
    KeyNotOfHolderError,
    KeyNotOfOrganisationError,
    KeyNotRegisteredError,
    KeyNotYetValidError,
    KeyRegisteredLaterError,
    KeyRevokedBeforeEntryError,
    KeyRuleError,
)


@dataclass(frozen=True)
class RegisteredKey:
    """A key as registered at ledger index `index`, with its revocation if one came before."""

    keyid: str
    org: str
    public_key: bytes
    valid_from: datetime
    holder: str | None
    index: int
    revoked_at: datetime | None = None


class KeyRegistry:
    """Keys and organisations known so far; `learn` each entry after checking it."""

    def __init__(self, later: dict[str, int]) -> None:
        self.keys: dict[str, RegisteredKey] = {}
        self.orgs: dict[str, Org] = {OPERATOR: Org(OPERATOR, OPERATOR, OPERATOR)}
        self._later = later  # keyid -> index of its registration anywhere in the bundle
        self.weak: set[str] = set()  # registered small-order keys: never trusted

    def signed_by_operator(self, index: int, signatures: tuple[Signature, ...]) -> bool:
        """Entry 0, or signed by a registered operator key: the entries the registry reads."""
        if index == 0:
            return True
        for signature in signatures:
            key = self.keys.get(signature.keyid)
            if key is not None and key.org == OPERATOR:
                return True
        return False

    def public_key(self, index: int, event: Event | None, keyid: str) -> bytes | None:
        """The key to check a signature with: registered earlier, or self-registered at 0."""
        key = self.keys.get(keyid)
        if key is not None:
            return key.public_key
        if index == 0 and event is not None and isinstance(event.data, KeyRegistered):
            raw = public_key_bytes(event.data)
            if event.subject == f"key:{keyid}":
                return raw
        return None

    def check(
        self, index: int, event: Event | None, at: datetime, signatures: tuple[Signature, ...]
    ) -> KeyRuleError | None:
        """None if every signature's key may sign this entry at `at` (DESIGN §5: a valid
        signature beside others by unknown keys is no better than those); else the first
        failure."""
        for signature in signatures:
            failure = self._check_one(index, event, at, signature.keyid)
            if failure is not None:
                return failure
        return None if signatures else KeyNotRegisteredError(index, "-", "none given")

    def _check_one(
        self, index: int, event: Event | None, at: datetime, keyid: str
    ) -> KeyRuleError | None:
        key = self.keys.get(keyid)
        if keyid in self.weak:
            return KeyNotRegisteredError(
                index, keyid, "is a small-order Ed25519 key (it verifies forged signatures)"
            )
        if key is None:
            if index == 0 and self.public_key(index, event, keyid) is not None:
                return None
            later = self._later.get(keyid)
            if later is not None and later >= index:
                return KeyRegisteredLaterError(index, keyid, f"is registered only at entry {later}")
            return KeyNotRegisteredError(index, keyid, "is not registered by any earlier entry")
        if key.valid_from > at:
            return KeyNotYetValidError(
                index,
                keyid,
                f"is valid from {key.valid_from.isoformat()}, entry at {at.isoformat()}",
            )
        if key.revoked_at is not None and key.revoked_at <= at:
            return KeyRevokedBeforeEntryError(
                index,
                keyid,
                f"was revoked effective {key.revoked_at.isoformat()}, entry at {at.isoformat()}",
            )
        org = self.orgs.get(key.org)
        if event is not None and (org is None or not allowed_signers(event, org)):
            return KeyNotOfOrganisationError(
                index, keyid, f"of org {key.org!r} may not sign {event.type} for {event.agency!r}"
            )
        if event is not None and not holder_may_sign(key.holder, event):
            return KeyNotOfHolderError(
                index, keyid, f"belongs to {key.holder}, not to the actor {event.actor}"
            )
        return None

    def learn(self, index: int, event: Event) -> None:
        """Take in an operator entry (key.registered, key.revoked, org.registered)."""
        data = event.data
        if isinstance(data, KeyRegistered):
            keyid = event.subject.removeprefix("key:")
            if not is_strong_public_key(public_key_bytes(data)):
                self.weak.add(keyid)
            elif keyid not in self.keys:
                self.keys[keyid] = RegisteredKey(
                    keyid, data.org, public_key_bytes(data), data.valid_from, data.holder, index
                )
        elif isinstance(data, KeyRevokedData):
            keyid = event.subject.removeprefix("key:")
            key = self.keys.get(keyid)
            if key is not None and key.revoked_at is None:
                self.keys[keyid] = replace(key, revoked_at=data.effective_at)
        elif isinstance(data, OrgRegistered):
            self.orgs.setdefault(event.subject, Org(event.subject, data.kind, data.name))
