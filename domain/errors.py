"""The domain's error hierarchy: every refusal names a stable rule slug."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from domain.flags import Flag


class DomainError(Exception):
    """Base of every error the domain raises."""


class EntryOutOfOrderError(DomainError):
    """The caller fed an entry at the wrong index or with time running backwards (a bug)."""


class ForkConflictError(DomainError):
    """A fork was committed into a parent that changed after the fork was taken."""


class Refusal(DomainError):  # noqa: N818 (the name the ledger and verifier call)
    """An event the rules refuse: nothing is recorded and the state is unchanged."""

    rule: ClassVar[str] = "refused"
    conflict: ClassVar[bool] = False

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rule={self.rule!r}, detail={self.detail!r})"


class PayloadInvalid(Refusal):
    """The payload is not JSON, not an object, misses fields or breaks the schema."""

    rule = "payload-schema"


class UnknownEventType(Refusal):
    """The payload's `type` is not in the event catalogue."""

    rule = "unknown-event-type"


class UnknownKey(Refusal):
    """No signing key of the entry is registered."""

    rule = "key-unknown"


class KeyNotYetValid(Refusal):
    """The signing key's `valid_from` is after the entry's integration time."""

    rule = "key-not-yet-valid"


class KeyRevoked(Refusal):
    """The signing key was revoked effective at or before the entry's integration time."""

    rule = "key-revoked"


class KeyNotOfOrganisation(Refusal):
    """The signing key belongs to an organisation that may not sign this event."""

    rule = "key-foreign"


class KeyNotOfActor(Refusal):
    """A personal key (registered with a holder) signs an event another official acts in."""

    rule = "key-holder-mismatch"


class UnknownOrganisation(Refusal):
    """The payload's agency (or the org a key is registered for) is not registered."""

    rule = "unknown-organisation"


class UnknownActor(Refusal):
    """The actor is not an enrolled employee of the agency, or not the one the rule needs."""

    rule = "unknown-actor"


class NoPolicyInForce(Refusal):
    """A flexible-work event for an agency with no policy version in force on the date."""

    rule = "no-policy-in-force"


class ImpossibleTransition(Refusal):
    """The event cannot follow the subject's current state."""

    rule = "impossible-transition"
    conflict = True


class SubjectOfOtherAgency(Refusal):
    """The subject already belongs to another organisation's records."""

    rule = "subject-foreign"
    conflict = True


class WrongLog(Refusal):
    """The event belongs to another organisation's log than the one it is recorded in."""

    rule = "wrong-log"


class SubjectInOtherNamespace(Refusal):
    """The subject lies in the registry's or another organisation's namespace."""

    rule = "subject-namespace"


class StrictFlagRefused(Refusal):
    """A flag the policy in force lists as strict: refused instead of recorded."""

    rule = "strict-flag"

    def __init__(self, flag: Flag) -> None:
        super().__init__(f"policy makes flag {flag.rule!r} strict: {flag.detail}")
        self.flag = flag
