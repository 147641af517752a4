"""Appending envelopes and reading entries and subjects."""

from __future__ import annotations

import base64
import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import PrincipalDep, RuntimeDep, get_principal, may_read_agency
from api.params import Index
from api.problems import NotJsonError
from api.responses import FastJSONResponse
from domain.errors import Refusal
from ledger.bootstrap import Runtime
from ledger.committer import ItemRefusedError
from ledger.errors import (
    EnvelopeOutOfBoundsError,
    EnvelopeRejectedError,
    LedgerError,
    NotFoundError,
    NotPermittedError,
)
from ledger.head import Submission
from ledger.permissions import check_may_write
from ledger.records import EntryRecorded, stream_id
from ledger.tokens import Principal
from verification.errors import MalformedEnvelopeError, TooManySignaturesError

router = APIRouter(prefix="/v1", tags=["entries"])
WRITERS = ("agency", "ombudsman")
BEARER: dict[str, object] = {"security": [{"bearer": []}]}
MAX_BATCH = 1000


async def _json_body(request: Request) -> object:
    body = await request.body()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NotJsonError("the body is not JSON") from None


def _prepare(runtime: Runtime, principal: Principal, obj: object) -> Submission:
    submission = runtime.ledger.prepare(obj)
    check_may_write(principal, submission.event)
    return submission


def _prepare_all(runtime: Runtime, principal: Principal, items: list[object]) -> list[Submission]:
    """Check every item; a refusal names the item's position when there are several."""
    submissions = []
    for position, obj in enumerate(items):
        try:
            submissions.append(_prepare(runtime, principal, obj))
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


async def _append(
    runtime: Runtime, principal: Principal, items: list[object]
) -> list[dict[str, object]]:
    """Check the items, then await the writer: no thread is held while the group commits.

    A single envelope is checked on the event loop (its signature check releases the GIL, so
    the writer runs meanwhile); a batch is checked in a worker thread so the loop stays free.
    """
    if len(items) == 1:
        submissions = _prepare_all(runtime, principal, items)
    else:
        submissions = await run_in_threadpool(_prepare_all, runtime, principal, items)
    receipts = await runtime.ledger.append_async(submissions)
    return [{**r.as_json(), "_created": r.created} for r in receipts]


async def _writer(request: Request) -> tuple[Runtime, Principal]:
    """The runtime and the bearer, who must be an agency or the Ombudsman.

    The append endpoints resolve this directly rather than through FastAPI dependencies:
    on the hottest path that saves about a fifth of the time per request (bench/append.py).
    """
    runtime: Runtime = request.app.state.runtime
    principal = await get_principal(request, runtime)
    if principal.role not in WRITERS:
        raise NotPermittedError(f"a {principal.role} token may not append entries")
    return runtime, principal


@router.post("/entries", status_code=201, openapi_extra=BEARER)
async def append_entry(request: Request) -> FastJSONResponse:
    """Append one envelope: 201 and its receipt; 200 and the original receipt on resubmission."""
    runtime, principal = await _writer(request)
    obj = await _json_body(request)
    [receipt] = await _append(runtime, principal, [obj])
    created = receipt.pop("_created")
    return FastJSONResponse(receipt, status_code=201 if created else 200)


@router.post("/entries/batch", status_code=201, openapi_extra=BEARER)
async def append_batch(request: Request) -> FastJSONResponse:
    """Append envelopes all or nothing; a refusal names the failing item's position."""
    runtime, principal = await _writer(request)
    obj = await _json_body(request)
    envelopes = obj.get("envelopes") if isinstance(obj, dict) else None
    if not isinstance(envelopes, list) or not envelopes:
        raise EnvelopeRejectedError(
            'the body must be {"envelopes": [envelope, ...]} with at least one'
        )
    if len(envelopes) > MAX_BATCH:
        raise EnvelopeRejectedError(f"a batch holds at most {MAX_BATCH} envelopes")
    receipts = await _append(runtime, principal, envelopes)
    for receipt in receipts:
        receipt.pop("_created")
    return FastJSONResponse({"receipts": receipts}, status_code=201)


def entry_json(event: EntryRecorded) -> dict[str, object]:
    envelope = event.envelope
    payload = json.loads(base64.b64decode(str(envelope["payload"])))
    return {
        "index": event.index,
        "leaf_hash": event.leaf_hash,
        "leaf": event.leaf,
        "envelope": envelope,
        "payload": payload,
    }


def readable(principal: Principal, entries: list[dict[str, object]]) -> bool:
    """Whether the principal may read every one of these entries (its agency's, or public)."""
    for entry in entries:
        payload = entry["payload"]
        agency = payload.get("agency") if isinstance(payload, dict) else None
        if not may_read_agency(principal, str(agency)):
            return False
    return True


def no_subject(subject: str) -> NotFoundError:
    """The answer for a subject that does not exist, or that this reader may not see: the
    same 404, so another agency's ids cannot be probed (DESIGN §7)."""
    return NotFoundError(f"there is no subject {subject!r}")


@router.get("/entries/{index}")
def read_entry(index: Index, runtime: RuntimeDep, principal: PrincipalDep) -> dict[str, object]:
    """One entry: its leaf, envelope and decoded payload."""
    runtime.ledger.sync()
    entry = entry_json(runtime.ledger.entry(index))
    if not readable(principal, [entry]):
        raise NotFoundError(f"there is no entry {index}")  # as for a missing one
    return entry


@router.get("/subjects/{subject:path}")
def read_subject(subject: str, runtime: RuntimeDep, principal: PrincipalDep) -> dict[str, object]:
    """A subject's entries in order, its current state and its flags."""
    ledger = runtime.ledger
    ledger.sync()
    with ledger.read_lock():
        view = ledger.state.subject_view(subject)
    if view is None:
        raise no_subject(subject)
    entries = [entry_json(event) for event in ledger.store.subject_events(stream_id(subject))]
    if not readable(principal, entries):
        raise no_subject(subject)
    return {
        "subject": subject,
        "kind": view.kind,
        "entries": entries,
        "state": dict(view.state),
        "flags": [flag.as_json() for flag in view.flags],
    }
