"""RFC 9457 problem details: the one place where errors become HTTP statuses."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import Refusal
from ledger.committer import ItemRefusedError
from ledger.errors import (
    AlreadyRedactedError,
    ConfigurationError,
    DuplicatePayloadError,
    EnvelopeOutOfBoundsError,
    EnvelopeRejectedError,
    LedgerError,
    LegalHoldError,
    NotFoundError,
    NotPermittedError,
    RedactionRefusedError,
    SignatureRejectedError,
    StoreConflictError,
    StoreUnavailableError,
    UnsupportedPayloadTypeError,
)
from ledger.export import BundleQueryError
from ledger.proofs import ImpossibleProofError
from ledger.tokens import InvalidTokenRequestError
from verification.errors import MalformedEnvelopeError, TooManySignaturesError

LOG = logging.getLogger(__name__)
STORE_DOWN: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)
"""What a database raises when it cannot be reached or a connection died: HTTP 503."""
STORE_DOWN_KEY = "jejak.store_down"
"""Set in the request's scope when its answer is a 503 because the store failed."""
PROBLEM_TYPE = "urn:jejak:problem:"
MEDIA_TYPE = "application/problem+json"


class UnauthorizedError(LedgerError):
    """No bearer token, or one the ledger never issued: HTTP 401."""

    rule = "unauthorized"


class BodyTooLargeError(LedgerError):
    """The request body exceeds the size limit: HTTP 413."""

    rule = "body-too-large"


class NotJsonError(LedgerError):
    """The body is not JSON: HTTP 400."""

    rule = "not-json"


def problem(status: int, rule: str, detail: str, **extensions: object) -> JSONResponse:
    body: dict[str, object] = {
        "type": PROBLEM_TYPE + rule,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extensions,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(error: Exception) -> int:
    """The HTTP status of a refusal or failure (DESIGN §7)."""
    if isinstance(error, ItemRefusedError):
        return status_of(error.cause)
    if isinstance(error, Refusal):
        return 409 if error.conflict else 422
    statuses: list[tuple[type[Exception], int]] = [
        (TooManySignaturesError, 422),
        (EnvelopeOutOfBoundsError, 422),
        (MalformedEnvelopeError, 400),
        (EnvelopeRejectedError, 400),
        (NotJsonError, 400),
        (ImpossibleProofError, 400),
        (BundleQueryError, 400),
        (InvalidTokenRequestError, 422),
        (UnauthorizedError, 401),
        (NotPermittedError, 403),
        (NotFoundError, 404),
        (DuplicatePayloadError, 409),
        (StoreConflictError, 409),
        (AlreadyRedactedError, 409),
        (LegalHoldError, 409),
        (RedactionRefusedError, 422),
        (BodyTooLargeError, 413),
        (SignatureRejectedError, 422),
        (UnsupportedPayloadTypeError, 422),
        (StoreUnavailableError, 503),
        (ConfigurationError, 500),
    ]
    for kind, status in statuses:
        if isinstance(error, kind):
            return status
    return 500


def problem_for(error: Exception) -> JSONResponse:
    extensions: dict[str, object] = {}
    if isinstance(error, ItemRefusedError):
        extensions["position"] = error.position
    if isinstance(error, DuplicatePayloadError):
        extensions["index"] = error.index
    if isinstance(error, SignatureRejectedError):
        extensions["keyid"] = error.keyid
    if isinstance(error, LegalHoldError):
        extensions["complaints"] = list(error.complaints)
    rule = getattr(error, "rule", "invalid")
    if isinstance(error, MalformedEnvelopeError) and not isinstance(error, TooManySignaturesError):
        rule = "malformed-envelope"
    flag = getattr(error, "flag", None)
    if flag is not None and hasattr(flag, "as_json"):
        extensions["flag"] = flag.as_json()
    return problem(status_of(error), str(rule), str(error), **extensions)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of the ledger, the domain and FastAPI a problem+json response."""

    async def known(_: Request, error: Exception) -> JSONResponse:
        return problem_for(error)

    async def invalid_request(_: Request, error: Exception) -> JSONResponse:
        errors = error.errors() if isinstance(error, RequestValidationError) else []
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors
        )
        return problem(
            422,
            "invalid-request",
            detail or "the request is invalid",
            errors=json.loads(json.dumps(errors, default=str)),
        )

    async def http_error(_: Request, error: Exception) -> JSONResponse:
        status = error.status_code if isinstance(error, StarletteHTTPException) else 500
        detail = error.detail if isinstance(error, StarletteHTTPException) else "internal error"
        return problem(status, "http-" + str(status), str(detail))

    async def store_down(request: Request, error: Exception) -> JSONResponse:
        LOG.warning("store unavailable: %s", str(error).strip().splitlines()[:1])
        request.scope[STORE_DOWN_KEY] = True  # api.retry may check the pools and try again
        return problem(503, "store-unavailable", "the store is unavailable; retry shortly")

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        LOG.error("unexpected error in %s %s", request.method, request.url.path, exc_info=error)
        return problem(500, "internal-error", "an unexpected error; it was logged")

    app.add_exception_handler(Exception, unexpected)  # a problem+json, never text/plain
    for kind in STORE_DOWN:
        app.add_exception_handler(kind, store_down)
    app.add_exception_handler(LedgerError, known)
    app.add_exception_handler(Refusal, known)
    app.add_exception_handler(MalformedEnvelopeError, known)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
