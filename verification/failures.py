"""Bundle verification failures: each names the entry index, a stable reason and the values."""

from __future__ import annotations

from verification.errors import VerificationError


class UnusableInputError(VerificationError):
    """Input the verifier cannot use: a missing file, a bad option, a refusing server (exit 2)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class BundleFormatError(UnusableInputError):
    """The input is not a usable `jejak-bundle/2` document (exit status 2, nothing verified)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.args = (f"unusable bundle: {detail}",)


class FailedCheckError(VerificationError):
    """A check that failed; `index` is the entry's ledger index (None for the checkpoint)."""

    reason = "failed"
    log: str | None = None
    """The log the entry belongs to; None until the failure is placed in its log."""

    def __init__(self, index: int | None, detail: str) -> None:
        self.index = index
        self.detail = detail
        where = "checkpoint" if index is None else f"entry {index}"
        super().__init__(f"{where}: {self.reason}: {detail}")

    def in_log(self, log: str) -> FailedCheckError:
        """This failure, naming the log it was found in."""
        self.log = log
        where = "checkpoint" if self.index is None else f"entry {self.index}"
        self.args = (f"log {log} {where}: {self.reason}: {self.detail}",)
        return self

    def as_json(self) -> dict[str, object]:
        found: dict[str, object] = {} if self.log is None else {"log": self.log}
        return found | {"index": self.index, "reason": self.reason, "detail": self.detail}


class MismatchError(FailedCheckError):
    """A value computed from the bundle differs from the value the bundle claims."""

    def __init__(self, index: int | None, what: str, expected: str, actual: str) -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        super().__init__(index, f"{what} is {actual}, expected {expected}")


class PayloadHashMismatchError(MismatchError):
    reason = "payload-hash-mismatch"


class LeafHashMismatchError(MismatchError):
    reason = "leaf-hash-mismatch"


class BadEntrySignatureError(FailedCheckError):
    """A signature by a registered key does not verify over PAE(payloadType, payload)."""

    reason = "bad-signature"

    def __init__(self, index: int, keyid: str) -> None:
        self.keyid = keyid
        super().__init__(index, f"the signature by key {keyid} does not verify")


class KeyRuleError(FailedCheckError):
    """The entry's signing key fails a registry rule (DESIGN §6: registered, valid, unrevoked)."""

    def __init__(self, index: int, keyid: str, detail: str) -> None:
        self.keyid = keyid
        super().__init__(index, f"key {keyid} {detail}")


class KeyNotRegisteredError(KeyRuleError):
    reason = "key-not-registered"


class KeyRegisteredLaterError(KeyRuleError):
    reason = "key-registered-later"


class KeyNotYetValidError(KeyRuleError):
    reason = "key-not-yet-valid"


class KeyRevokedBeforeEntryError(KeyRuleError):
    reason = "key-revoked"


class KeyNotOfOrganisationError(KeyRuleError):
    reason = "key-not-of-organisation"


class KeyNotOfHolderError(KeyRuleError):
    reason = "key-holder-mismatch"


class ChainVersionError(MismatchError):
    """A subject's versions do not run 1, 2, 3, … in index order within the bundle."""

    reason = "chain-version"


class ChainPrevError(MismatchError):
    """A leaf's `prev` is not the leaf hash of its subject's previous entry."""

    reason = "chain-prev"


class InclusionError(FailedCheckError):
    """The entry's inclusion proof does not lead to the checkpoint's root."""

    reason = "inclusion"


class OrderError(FailedCheckError):
    """Indexes repeat or fall, or integration time runs backwards."""

    reason = "order"


class CheckpointError(FailedCheckError):
    """The checkpoint is not signed by the log key, or not of this origin."""

    reason = "checkpoint"

    def __init__(self, detail: str) -> None:
        super().__init__(None, detail)


class ConsistencyError(FailedCheckError):
    """The bundle's checkpoint does not extend the trusted one (a forked or rewritten log)."""

    reason = "consistency"

    def __init__(self, detail: str) -> None:
        super().__init__(None, detail)


class ReplayRefusedError(FailedCheckError):
    """Replaying the domain rules refuses an entry the log accepted."""

    reason = "replay-refused"

    def __init__(self, index: int, rule: str, detail: str) -> None:
        self.rule = rule
        super().__init__(index, f"{rule}: {detail}")


class PayloadUnreadableError(FailedCheckError):
    """The payload is not a valid event of the catalogue."""

    reason = "payload-invalid"


class LeafLogError(FailedCheckError):
    """A leaf names another log than the record that carries it."""

    reason = "leaf-log"


class MissingEntryError(FailedCheckError):
    """An entry a claimed range (or its boundary) needs is not in the bundle."""

    reason = "missing-entry"


class RangeProofError(FailedCheckError):
    """A range's hashes and leaves do not rebuild the checkpoint's root."""

    reason = "range"


class RedactionUnprovenError(FailedCheckError):
    """A payload said to be redacted without the registry's `entry.redacted` naming it."""

    reason = "redaction-unproven"


class RegistrySizeError(FailedCheckError):
    """A leaf's `registry_size` is impossible: non-zero in the registry log, or past its size."""

    reason = "registry-size"


class SubjectMismatchError(FailedCheckError):
    """The signed payload names another subject (or log) than the leaf."""

    reason = "leaf-subject"


class HeadProofError(FailedCheckError):
    """A head record whose subject-map proof does not verify, or disagrees with the chain."""

    reason = "head-proof"
