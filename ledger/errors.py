"""Errors of the append path; each names a stable rule and carries its details."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every refusal or failure raised by the ledger."""

    rule = "ledger-error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class EnvelopeRejectedError(LedgerError):
    """The request is not an envelope (not JSON, missing fields, bad base64): HTTP 400."""

    rule = "malformed-envelope"


class EnvelopeOutOfBoundsError(LedgerError):
    """A well-formed envelope over an input bound (more than 8 signatures): HTTP 422."""

    rule = "too-many-signatures"


class UnsupportedPayloadTypeError(LedgerError):
    """The envelope's payloadType is not the Jejak event type: HTTP 422."""

    rule = "unknown-payload-type"


class SignatureRejectedError(LedgerError):
    """A signature does not verify against its registered key: HTTP 422."""

    rule = "bad-signature"

    def __init__(self, detail: str, keyid: str) -> None:
        super().__init__(detail)
        self.keyid = keyid


class DuplicatePayloadError(LedgerError):
    """The same payload was accepted before under other signatures: HTTP 409."""

    rule = "duplicate-payload"

    def __init__(self, detail: str, index: int) -> None:
        super().__init__(detail)
        self.index = index


class NotPermittedError(LedgerError):
    """The caller's token may not write this agency's events or this event type: HTTP 403."""

    rule = "not-permitted"


class NotFoundError(LedgerError):
    """No such entry, subject, checkpoint or token: HTTP 404."""

    rule = "not-found"


class StoreConflictError(LedgerError):
    """Another writer appended first; the batch is re-validated and retried."""

    rule = "store-conflict"


class StoreUnavailableError(LedgerError):
    """The store failed; nothing of the batch was acknowledged: HTTP 503."""

    rule = "store-unavailable"


class SubmissionFailedError(LedgerError):
    """Checking one submission raised an unexpected error (a bug): HTTP 500 for it alone."""

    rule = "internal-error"


class LedgerCorruptedError(LedgerError):
    """The stored log disagrees with itself (a tampered or foreign database)."""

    rule = "ledger-corrupted"


class ConfigurationError(LedgerError):
    """Settings, keys or the database URL are unusable."""

    rule = "configuration"


class RedactionRefusedError(LedgerError):
    """An entry that cannot be redacted (a registry entry, or one stored with its payload
    inside the event, before payloads were kept apart): HTTP 422."""

    rule = "redaction-refused"


class AlreadyRedactedError(LedgerError):
    """The entry's payload is redacted already: HTTP 409."""

    rule = "already-redacted"


class LegalHoldError(LedgerError):
    """An open complaint cites the entry (legal hold): HTTP 409, nothing is stored."""

    rule = "legal-hold"

    def __init__(self, message: str, complaints: tuple[str, ...]) -> None:
        super().__init__(message)
        self.complaints = complaints
