"""The registry log's keys, organisations and redactions, judged as of a prefix (DESIGN §4, §6).

An entry is checked against the registry as its first `registry_size` entries stood (a registry
entry against the registry entries before it): its keys registered there, valid and not revoked
at the entry, of the event's organisation (or an oversight body) and of its actor if personal.
It reuses the rules of `verification.registry` and `domain.rules.keys`, prefix-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.aggregates import Org
from domain.errors import PayloadInvalid
from domain.event_data import EntryRedacted, KeyRegistered, KeyRevokedData, OrgRegistered
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
from verification.registry import RegisteredKey


@dataclass(frozen=True)
class Revocation:
    index: int  # registry index of the key.revoked
    effective_at: datetime


class Keyring:
    """What the bundle's registry entries registered, each remembered with its registry index."""

    def __init__(self) -> None:
        self.keys: dict[str, RegisteredKey] = {}
        self.revocations: dict[str, Revocation] = {}
        self.orgs: dict[str, tuple[int, Org]] = {OPERATOR: (0, Org(OPERATOR, OPERATOR, OPERATOR))}
        self.weak: dict[str, int] = {}  # small-order keys registered: never trusted
        self.redactions: dict[tuple[str, int], int] = {}  # (log, index) -> registry index

    def key(self, keyid: str, size: int) -> RegisteredKey | None:
        """The key as the first `size` registry entries knew it (its revocation only if there)."""
        key = self.keys.get(keyid)
        if key is None or key.index >= size:
            return None
        revoked = self.revocations.get(keyid)
        if revoked is not None and revoked.index < size:
            return replace(key, revoked_at=revoked.effective_at)
        return key

    def org(self, org_id: str, size: int) -> Org | None:
        found = self.orgs.get(org_id)
        return found[1] if found is not None and (found[0] < size or org_id == OPERATOR) else None

    def public_key(self, keyid: str, size: int, genesis: Event | None) -> bytes | None:
        """The key to check a signature with; entry 0 of the registry registers its own."""
        key = self.key(keyid, size)
        if key is not None:
            return key.public_key
        if genesis is None or not isinstance(genesis.data, KeyRegistered):
            return None
        if genesis.subject != f"key:{keyid}" or genesis.data.org != OPERATOR:
            return None
        try:
            return public_key_bytes(genesis.data)
        except PayloadInvalid:
            return None

    def check(
        self,
        index: int,
        event: Event | None,
        at: datetime,
        signatures: tuple[Signature, ...],
        size: int,
        genesis: Event | None = None,
    ) -> KeyRuleError | None:
        """None if every signature's key may sign the entry as of the prefix `size`."""
        for signature in signatures:
            failure = self._check_one(index, event, at, signature.keyid, size, genesis)
            if failure is not None:
                return failure
        return None if signatures else KeyNotRegisteredError(index, "-", "none given")

    def _check_one(
        self,
        index: int,
        event: Event | None,
        at: datetime,
        keyid: str,
        size: int,
        genesis: Event | None,
    ) -> KeyRuleError | None:
        weak = self.weak.get(keyid)
        if weak is not None and weak < size:
            return KeyNotRegisteredError(
                index, keyid, "is a small-order Ed25519 key (it verifies forged signatures)"
            )
        key = self.key(keyid, size)
        if key is None:
            if self.public_key(keyid, size, genesis) is not None:
                return None  # the registry's genesis: its key signs its own registration
            known = self.keys.get(keyid)
            if known is not None:
                return KeyRegisteredLaterError(
                    index,
                    keyid,
                    f"is registered at registry entry {known.index}, "
                    f"not among the first {size} the entry was accepted on",
                )
            return KeyNotRegisteredError(
                index, keyid, f"is not registered among the first {size} registry entries"
            )
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
        org = self.org(key.org, size)
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
        """Take in a verified registry entry (org, key, revocation or redaction)."""
        data = event.data
        if isinstance(data, KeyRegistered):
            keyid = event.subject.removeprefix("key:")
            raw = public_key_bytes(data)
            if not is_strong_public_key(raw):
                self.weak.setdefault(keyid, index)
            elif keyid not in self.keys:
                self.keys[keyid] = RegisteredKey(
                    keyid, data.org, raw, data.valid_from, data.holder, index
                )
        elif isinstance(data, KeyRevokedData):
            keyid = event.subject.removeprefix("key:")
            if keyid in self.keys and keyid not in self.revocations:
                self.revocations[keyid] = Revocation(index, data.effective_at)
        elif isinstance(data, OrgRegistered):
            self.orgs.setdefault(event.subject, (index, Org(event.subject, data.kind, data.name)))
        elif isinstance(data, EntryRedacted):
            self.redactions.setdefault((data.log, data.index), index)
