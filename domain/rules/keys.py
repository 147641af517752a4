"""Refusal rules about signing keys: known, valid, not revoked, of the right organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.aggregates import Key, Org
from domain.entry import Entry
from domain.errors import (
    KeyNotOfActor,
    KeyNotOfOrganisation,
    KeyNotYetValid,
    KeyRevoked,
    Refusal,
    UnknownKey,
)
from domain.event_data import OPERATOR_EVENTS
from domain.events import OPERATOR, Event

OVERSIGHT_KINDS = frozenset({"ombudsman", "inspectorate"})


def check_key_valid(keyid: str, key: Key | None, at: datetime) -> Key:
    """The key is registered, valid from before `at` and not revoked effective by `at`."""
    if key is None:
        raise UnknownKey(f"key {keyid} is not registered")
    if key.valid_from > at:
        raise KeyNotYetValid(f"key {keyid} is valid only from {key.valid_from.isoformat()}")
    if key.revoked_at is not None and key.revoked_at <= at:
        raise KeyRevoked(f"key {keyid} was revoked effective {key.revoked_at.isoformat()}")
    return key


def allowed_signers(event: Event, org_of_key: Org) -> bool:
    """Whether a key of this organisation may sign this event."""
    if event.type in OPERATOR_EVENTS:
        return org_of_key.id == OPERATOR
    if event.type.startswith("complaint.") and event.type != "complaint.evidence_submitted":
        return org_of_key.kind == "ombudsman"
    if event.type == "entry.annotated" and org_of_key.kind in OVERSIGHT_KINDS:
        return True
    return org_of_key.id == event.agency


def check_key_of_organisation(keyid: str, key: Key, org: Org | None, event: Event) -> None:
    """The key's organisation may sign this event type for the payload's agency."""
    if org is None or not allowed_signers(event, org):
        raise KeyNotOfOrganisation(
            f"key {keyid} of org {key.org!r} may not sign {event.type} for {event.agency!r}"
        )


def holder_may_sign(holder: str | None, event: Event) -> bool:
    """A personal key signs only what its holder does; an organisation key (no holder) signs
    for any official of its organisation."""
    return holder is None or holder == event.actor


def check_key_holder(keyid: str, key: Key, event: Event) -> None:
    """A key registered to a holder is not used to act in another official's name."""
    if not holder_may_sign(key.holder, event):
        raise KeyNotOfActor(
            f"key {keyid} belongs to {key.holder}; it may not sign for actor {event.actor}"
        )


def check_signing_keys(
    entry: Entry,
    key_of: Callable[[str], Key | None],
    org_of: Callable[[str], Org | None],
) -> str:
    """At least one verified keyid passes every key rule; returns it, else the first refusal."""
    if not entry.keyids:
        raise UnknownKey("the entry carries no verified signature")
    refusals: list[Refusal] = []
    for keyid in entry.keyids:
        try:
            key = check_key_valid(keyid, key_of(keyid), entry.integrated_at)
            check_key_of_organisation(keyid, key, org_of(key.org), entry.event)
            check_key_holder(keyid, key, entry.event)
        except Refusal as refusal:
            refusals.append(refusal)
            continue
        return keyid
    raise refusals[0]


def is_genesis_candidate(entry: Entry) -> bool:
    """Entry 0 registering an operator key and signed by that very key."""
    event = entry.event
    if entry.index != 0 or event.type != "key.registered":
        return False
    org = getattr(event.data, "org", None)
    keyid = event.subject.removeprefix("key:")
    return org == OPERATOR and keyid in entry.keyids


def check_genesis(entry: Entry) -> None:
    """The log's first entry must register the operator's key, self-signed."""
    if not is_genesis_candidate(entry):
        raise UnknownKey(
            "entry 0 must be key.registered for org 'operator', signed by the key it registers"
        )
