"""Pages as evidence: a subject's timeline, one entry, the complaints and their reports, each
about one agency's log and resting on a signed checkpoint of that log."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from api.deps import may_read_agency
from api.pages.access import (
    PageMissingError,
    caught_up,
    check_payload,
    runtime_of,
    signed_in,
)
from api.pages.render import context, render
from api.routes_entries import entry_json
from api.routes_reports import complaint_scope
from ledger.bootstrap import Runtime
from ledger.errors import LedgerError
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.ledger import Ledger
from ledger.placement import REGISTRY_LOG
from ledger.records import EntryRecorded
from ledger.tokens import Principal
from projections import queries
from projections.report import investigation_report

router = APIRouter(include_in_schema=False)


def key_fingerprint(verifier_key: str) -> str:
    """SHA-256 of the raw Ed25519 public key in a note verifier key `name+hash+base64`
    (the name holds no `+`; the base64 may)."""
    raw = base64.b64decode(verifier_key.strip().split("+", 2)[2])
    return hashlib.sha256(raw[1:]).hexdigest()


def proof_basis(runtime: Runtime, log: str) -> dict[str, object]:
    """The checkpoint of `log` the page rests on, and the key that signed it."""
    checkpoint = runtime.logs.log(log).latest_checkpoint()
    return {
        "log": log,
        "size": checkpoint.size,
        "root": checkpoint.root.hex(),
        "published_at": checkpoint.published_at,
        "note": checkpoint.note,
        "key": runtime.log_verifier_key,
        "fingerprint": key_fingerprint(runtime.log_verifier_key),
    }


def _ledger(runtime: Runtime, log: str) -> Ledger:
    """An existing log, or the page is missing."""
    try:
        return runtime.logs.log(log)
    except LedgerError:
        raise PageMissingError from None


def shown_entry(log: str, event: EntryRecorded) -> dict[str, object]:
    """An entry for a page; a redacted one shows as `entry.redacted`, with its subject and
    integration time (its payload is gone)."""
    found = entry_json(log, event)
    if found.get("missing") == "redacted":
        leaf = event.leaf
        found["payload"] = {
            "type": "entry.redacted",
            "agency": log,
            "subject": leaf.get("subject"),
            "actor": "",
            "occurred_at": leaf.get("integrated_at"),
            "data": {},
        }
    return found


def _policy_version(runtime: Runtime, log: str, payload: Mapping[str, object]) -> object:
    if log == REGISTRY_LOG:
        return None
    policy = runtime.logs.log(log).agency_state.policy(str(payload.get("agency")))
    try:
        occurred = datetime.fromisoformat(str(payload.get("occurred_at")))
    except ValueError:
        return None
    version = None if policy is None else policy.in_force(occurred.date())
    return None if version is None else version.version


def _timeline(runtime: Runtime, principal: Principal, log: str, subject: str) -> dict[str, object]:
    if log == REGISTRY_LOG or not may_read_agency(principal, log):
        raise PageMissingError
    ledger = _ledger(runtime, log)
    ledger.sync()
    with ledger.read_lock():
        view = ledger.agency_state.subject_view(subject)
    if view is None:
        raise PageMissingError
    entries = [shown_entry(log, e) for e in ledger.subject_events(subject)]
    for entry in entries:
        check_payload(principal, entry["payload"])
    rows = []
    for entry in entries:
        payload: Mapping[str, object] = entry["payload"]  # type: ignore[assignment]
        rows.append(
            {
                **entry,
                "policy_version": _policy_version(runtime, log, payload),
                "flags": [f for f in view.flags if f.entry == entry["index"]],
                "data": json.dumps(payload.get("data"), ensure_ascii=False, indent=1),
            }
        )
    return {
        "view": view,
        "entries": rows,
        "agency": log,
        "basis": proof_basis(runtime, log),
        "state_json": json.dumps(dict(view.state), ensure_ascii=False, indent=1, default=str),
    }


@router.get("/logs/{log}/subjects/{subject:path}")
async def timeline(log: str, subject: str, request: Request) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)
    values = await run_in_threadpool(_timeline, runtime, session.principal, log, subject)
    ctx = context(request, log)
    return render(ctx, "timeline.html", {"subject": subject, **values})


@router.get("/logs/{log}/entries/{index}")
async def entry(log: str, index: int, request: Request) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)

    def build() -> dict[str, object]:
        ledger = _ledger(runtime, log)
        ledger.sync()
        try:
            found = shown_entry(log, ledger.entry(index))
        except LedgerError:
            raise PageMissingError from None
        check_payload(session.principal, found["payload"])
        return found

    found = await run_in_threadpool(build)
    payload: Mapping[str, object] = found["payload"]  # type: ignore[assignment]
    ctx = context(request, log)
    return render(
        ctx,
        "entry.html",
        {
            "entry": found,
            "payload_json": json.dumps(payload, ensure_ascii=False, indent=1),
            "leaf_json": json.dumps(found["leaf"], ensure_ascii=False, indent=1),
            "policy_version": _policy_version(runtime, log, payload),
            "basis": proof_basis(runtime, log),
        },
    )


def _scope(principal: Principal) -> str | None:
    try:
        return complaint_scope(principal)
    except LedgerError:
        raise PageMissingError from None


@router.get("/complaints")
async def complaints(request: Request, cursor: str | None = None) -> Response:
    session = signed_in(request)
    agency = _scope(session.principal)
    runtime = runtime_of(request)
    logs = [agency] if agency is not None else runtime.logs.ids()[1:]
    if agency is not None and not runtime.logs.exists(agency):
        raise PageMissingError
    runner = await caught_up(request, *logs)
    reads = runner.reads_of(agency) if agency is not None else runner.readers()
    try:
        page = await run_in_threadpool(queries.complaints, reads, agency, 100, cursor)
    except ValueError:
        raise PageMissingError from None
    ctx = context(request, agency)
    return render(ctx, "complaints.html", {"items": page.items, "next_cursor": page.next_cursor})


def _readable_complaint(runtime: Runtime, principal: Principal, log: str, subject: str) -> None:
    """The complaint is in that agency's log, and the session may read that agency's."""
    agency = _scope(principal)
    if agency not in (None, log) or log == REGISTRY_LOG or not runtime.logs.exists(log):
        raise PageMissingError
    if runtime.logs.log(log).agency_state.complaint(subject) is None:
        raise PageMissingError


@router.get("/logs/{log}/complaints/{subject}")
async def report(log: str, subject: str, request: Request) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)
    _readable_complaint(runtime, session.principal, log, subject)
    runner = await caught_up(request, log)
    ledger = runtime.logs.log(log)
    now = datetime.now(UTC)

    def build() -> dict[str, object]:
        with ledger.read_lock():  # the state and the checkpoint of one moment of the log
            found = investigation_report(ledger.agency_state, runner.reads_of(log), subject, now)
            basis = proof_basis(runtime, log)
        events = ledger.subject_events(subject)
        return {
            "report": found,
            "timeline": [shown_entry(log, e) for e in events],
            "basis": basis,
            "generated": now.isoformat(),
        }

    values = await run_in_threadpool(build)
    ctx = context(request, log)
    return render(ctx, "report.html", {"subject": subject, **values})


@router.get("/logs/{log}/complaints/{subject}/bundle")
async def bundle(log: str, subject: str, request: Request) -> Response:
    """The complaint's verification bundle, as `GET /v1/bundles?complaint=` gives it."""
    session = signed_in(request)
    runtime = runtime_of(request)
    _readable_complaint(runtime, session.principal, log, subject)
    query = BundleQuery(complaint=subject, log=log)
    plan = await run_in_threadpool(plan_export, runtime.logs, query, session.principal)
    name = quote(f"jejak-bundle-{subject}.json", safe="")
    return StreamingResponse(
        stream_bundle(runtime.logs, plan),
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
