"""Appending envelopes: each goes to the log its payload names (DESIGN §4)."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import State

from api.deps import TokenCache, principal_of
from api.problems import NotJsonError, problem_for, status_of
from api.responses import FastJSONResponse
from api.routing import WRITER_HEADER, Answer, Verified, Workers
from domain.errors import Refusal
from ledger.bootstrap import Runtime
from ledger.committer import ItemRefusedError
from ledger.errors import (
    EnvelopeOutOfBoundsError,
    EnvelopeRejectedError,
    LedgerError,
    NotPermittedError,
)
from ledger.head import Submission
from ledger.logs import log_of
from ledger.permissions import check_may_write
from ledger.records import EntryRecorded
from ledger.tokens import Principal
from verification.errors import MalformedEnvelopeError, TooManySignaturesError

router = APIRouter(prefix="/v1", tags=["entries"])
WRITERS = ("agency", "ombudsman")
BEARER: dict[str, object] = {"security": [{"bearer": []}]}
MAX_BATCH = 1000
log = logging.getLogger("jejak.api")
BodyReader = Callable[[], Awaitable[bytes]]
"""Receives a request's whole body (the route's `request.body`, or the lean ASGI path's)."""
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
"""A run of digits that may be an integer past 64 bits, which orjson reads as a float."""


def parse_body(body: bytes) -> object:
    """The body as `json.loads` reads it, at orjson's cost where that gives the same value:
    not for integers past 64 bits (a float in orjson) nor for what orjson refuses and
    `json.loads` takes (NaN, Infinity, a byte-order mark, UTF-16, lone surrogates)."""
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NotJsonError("the body is not JSON") from None


def _prepare(
    runtime: Runtime, principal: Principal, obj: object, verified: list[str] | None
) -> Submission:
    """Check one envelope (`verified`: a worker of this server checked it, see `Logs.prepared`)."""
    if verified is None:
        submission = runtime.logs.prepare(obj)
    else:
        submission = runtime.logs.prepared(obj, verified)
    check_may_write(principal, submission.event)
    return submission


def _prepare_all(
    runtime: Runtime,
    principal: Principal,
    items: list[object],
    verified: Verified | None = None,
) -> list[Submission]:
    """Check every item; a refusal names the item's position when there are several."""
    if verified is not None and len(verified) != len(items):
        raise ValueError(f"{len(verified)} keyid lists passed on for {len(items)} envelopes")
    submissions = []
    for position, obj in enumerate(items):
        try:
            submissions.append(
                _prepare(runtime, principal, obj, None if verified is None else verified[position])
            )
        except MalformedEnvelopeError as error:
            if len(items) == 1:
                raise
            cause = (
                EnvelopeOutOfBoundsError(str(error))
                if isinstance(error, TooManySignaturesError)
                else EnvelopeRejectedError(str(error))
            )
            raise ItemRefusedError(position, cause) from error
        except (LedgerError, Refusal) as error:
            if len(items) == 1:
                raise
            raise ItemRefusedError(position, error) from error
    return submissions


async def _checked(
    runtime: Runtime, principal: Principal, items: list[object], verified: Verified | None = None
) -> list[Submission]:
    """Check the items: a single envelope on the event loop (its signature check releases the
    GIL, so the writer runs meanwhile), a batch in a worker thread so the loop stays free."""
    if len(items) == 1:
        return _prepare_all(runtime, principal, items, verified)
    return await run_in_threadpool(_prepare_all, runtime, principal, items, verified)


async def _commit(runtime: Runtime, submissions: list[Submission], batch: bool) -> FastJSONResponse:
    """Await the writer (no thread is held while the group commits) and answer: one envelope
    201, or 200 on resubmission; a batch 201 with its receipts."""
    receipts = await runtime.logs.append_async(submissions)  # one log: else 422
    if not batch:
        [receipt] = receipts
        return FastJSONResponse(receipt.as_json(), status_code=201 if receipt.created else 200)
    return FastJSONResponse({"receipts": [r.as_json() for r in receipts]}, status_code=201)


async def _writer(state: State, authorization: str) -> tuple[Runtime, Principal]:
    """The runtime and the bearer of the `Authorization` header, who must be an agency or the
    Ombudsman.

    The append endpoints resolve this directly rather than through FastAPI dependencies:
    on the hottest path that saves about a fifth of the time per request (bench/append.py).
    """
    runtime: Runtime = state.runtime
    tokens: TokenCache = state.tokens
    principal = await principal_of(authorization, runtime, tokens)
    if principal.role not in WRITERS:
        raise NotPermittedError(f"a {principal.role} token may not append entries")
    return runtime, principal


def _items(obj: object, batch: bool) -> list[object]:
    """The envelopes of a request body: the one, or the batch's (refused when malformed)."""
    if not batch:
        return [obj]
    envelopes = obj.get("envelopes") if isinstance(obj, dict) else None
    if not isinstance(envelopes, list) or not envelopes:
        raise EnvelopeRejectedError(
            'the body must be {"envelopes": [envelope, ...]} with at least one'
        )
    if len(envelopes) > MAX_BATCH:
        raise EnvelopeRejectedError(f"a batch holds at most {MAX_BATCH} envelopes")
    return envelopes


async def _pass_on(
    principal: Principal, submissions: list[Submission], batch: bool, workers: Workers, owner: int
) -> Response:
    """Have the log's owner append the envelopes checked here, each with the keys it was
    verified by (api/routing.py)."""
    envelopes = [s.envelope.as_json() for s in submissions]
    body = orjson.dumps({"envelopes": envelopes} if batch else envelopes[0])
    verified = [sorted(s.verified) for s in submissions]
    (status, answer, media), writer = await workers.forward(owner, principal, body, batch, verified)
    return Response(
        answer, status_code=status, media_type=media, headers={WRITER_HEADER: str(writer)}
    )


async def respond(state: State, authorization: str, read_body: BodyReader, batch: bool) -> Response:
    """Append where the log is written: here, or at the worker that owns it (api/routing.py).

    `state` is the app's, `authorization` the request's header ("" without one); the body is
    read once the bearer may write. A refusal is raised, for the app's problem handlers."""
    runtime, principal = await _writer(state, authorization)
    obj = parse_body(await read_body())
    submissions = await _checked(runtime, principal, _items(obj, batch))  # refusals: here
    workers: Workers | None = getattr(state, "workers", None)
    if workers is None:
        return await _commit(runtime, submissions, batch)
    first = submissions[0].event  # a batch spanning logs is refused by the owner of its first
    owner = workers.owner(log_of(first.type, first.agency))
    if owner != workers.number:
        return await _pass_on(principal, submissions, batch, workers, owner)
    response = await _commit(runtime, submissions, batch)
    response.headers[WRITER_HEADER] = str(os.getpid())
    return response


async def serve_forwarded(
    runtime: Runtime,
    principal: Principal,
    body: bytes,
    batch: bool,
    verified: Verified | None = None,
) -> Answer:
    """An append another worker passed to this one, the owner of its log (`verified`: checked
    there, each envelope by these keys): the answer as the route would give it, a refusal as
    its problem."""
    try:
        items = _items(parse_body(body), batch)
        submissions = await _checked(runtime, principal, items, verified)
        response: Response = await _commit(runtime, submissions, batch)
    except Exception as error:  # every refusal becomes the problem the route would answer
        if status_of(error) >= 500:
            log.exception("a forwarded append failed")
        response = problem_for(error)
    return response.status_code, bytes(response.body), str(response.media_type)


# These routes document the endpoints (OpenAPI). In `create_app` api/append_path.py's lean path
# answers the requests first, as these would; they answer where it is left out.
@router.post("/entries", status_code=201, openapi_extra=BEARER)
async def append_entry(request: Request) -> Response:
    """Append one envelope to the log its payload names: 201 and its receipt; 200 and the
    original receipt on resubmission."""
    authorization = request.headers.get("authorization", "")
    return await respond(request.app.state, authorization, request.body, batch=False)


@router.post("/entries/batch", status_code=201, openapi_extra=BEARER)
async def append_batch(request: Request) -> Response:
    """Append envelopes of one log all or nothing; a refusal names the failing item's
    position, and envelopes of several logs are refused (422 `batch-spans-logs`)."""
    authorization = request.headers.get("authorization", "")
    return await respond(request.app.state, authorization, request.body, batch=True)


def entry_json(log: str, event: EntryRecorded) -> dict[str, object]:
    """An entry as the read API shows it; a redacted one has `payload` null, `missing`
    "redacted", and an envelope without its payload."""
    envelope = event.envelope
    b64 = event.payload_b64
    if b64 is None:
        return {
            "log": log,
            "index": event.index,
            "leaf_hash": event.leaf_hash,
            "leaf": event.leaf,
            "envelope": envelope,
            "payload": None,
            "missing": "redacted",
        }
    return {
        "log": log,
        "index": event.index,
        "leaf_hash": event.leaf_hash,
        "leaf": event.leaf,
        "envelope": envelope,
        "payload": json.loads(base64.b64decode(b64)),
    }
