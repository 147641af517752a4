"""The signature rule of DESIGN §5: every signature of an envelope verifies by a registered key
that may sign the entry, and a signature without a keyid is matched to one of those keys."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.aggregates import Key, Org
from domain.errors import UnknownKey
from domain.events import Event
from domain.rules.keys import (
    allowed_signers,
    check_key_holder,
    check_key_of_organisation,
    check_key_valid,
    holder_may_sign,
)
from ledger.errors import SignatureRejectedError
from verification.dsse import Envelope, Signature, signature_valid


class KeyBook(Protocol):
    """Where the signers' keys and organisations are looked up: the registry log's state."""

    def all_keys(self) -> list[Key]: ...
    def org(self, org_id: str) -> Org | None: ...
    def key(self, keyid: str) -> Key | None: ...
    def public_key(self, keyid: str) -> bytes | None: ...


def signer_of(state: KeyBook, envelope: Envelope, signature: Signature, event: Event) -> str:
    """The keyid of the registered key that made `signature`, which names none: DSSE's keyid
    is optional, so the keys that may sign this event (of its organisation, and the actor's
    own or the organisation's) are tried. UnknownKey when none of them verifies it."""
    for key in state.all_keys():
        org = state.org(key.org)
        if org is None or not allowed_signers(event, org) or not holder_may_sign(key.holder, event):
            continue
        if signature_valid(key.public_key, envelope, signature):
            return key.keyid
    raise UnknownKey(
        f"a signature without keyid verifies by no key that may sign {event.type} "
        f"for {event.agency!r} by {event.actor!r}"
    )


def check_known_signatures(
    state: KeyBook, envelope: Envelope, event: Event
) -> tuple[Envelope, frozenset[str]]:
    """Before the writer: verify the signatures by keys already known, and name the key of each
    signature that names none. Returns the envelope with every keyid filled in and the keyids
    verified; signatures by keys not known yet are left to `check_every_signature`."""
    keyids: list[str] = []
    verified: set[str] = set()
    for signature in envelope.signatures:
        if not signature.keyid:
            keyid = signer_of(state, envelope, signature, event)
            keyids.append(keyid)
            verified.add(keyid)
            continue
        keyids.append(signature.keyid)
        key = state.public_key(signature.keyid)
        if key is None:
            continue
        if not signature_valid(key, envelope, signature):
            raise SignatureRejectedError(
                f"the signature by key {signature.keyid} does not verify", signature.keyid
            )
        verified.add(signature.keyid)
    named = envelope if all(s.keyid for s in envelope.signatures) else envelope.with_keyids(keyids)
    return named, frozenset(verified)


class KeyView(Protocol):
    """The registry as a prefix of it stood: a key and an organisation by id."""

    def org(self, org_id: str) -> Org | None: ...
    def key(self, keyid: str) -> Key | None: ...


def check_key_rules(state: KeyView, keyid: str, event: Event, at: datetime) -> None:
    """The key is registered, valid at `at`, of an organisation that may sign the event and,
    if personal, the actor's own."""
    key = check_key_valid(keyid, state.key(keyid), at)
    check_key_of_organisation(keyid, key, state.org(key.org), event)
    check_key_holder(keyid, key, event)
