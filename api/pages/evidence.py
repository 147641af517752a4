"""Pages as evidence: a subject's timeline, one entry, the complaints and their reports."""

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
from ledger.records import stream_id
from ledger.tokens import Principal
from projections import queries
from projections.report import investigation_report

router = APIRouter(include_in_schema=False)


def key_fingerprint(verifier_key: str) -> str:
    """SHA-256 of the raw Ed25519 public key in a note verifier key `name+hash+base64`
    (the name holds no `+`; the base64 may)."""
    raw = base64.b64decode(verifier_key.strip().split("+", 2)[2])
    return hashlib.sha256(raw[1:]).hexdigest()


def proof_basis(runtime: Runtime) -> dict[str, object]:
    """The checkpoint the page rests on, and the key that signed it."""
    checkpoint = runtime.ledger.latest_checkpoint()
    return {
        "size": checkpoint.size,
        "root": checkpoint.root.hex(),
        "published_at": checkpoint.published_at,
        "note": checkpoint.note,
        "key": runtime.log_verifier_key,
        "fingerprint": key_fingerprint(runtime.log_verifier_key),
    }


def _policy_version(runtime: Runtime, payload: Mapping[str, object]) -> object:
    policy = runtime.ledger.state.policy(str(payload.get("agency")))
    try:
        occurred = datetime.fromisoformat(str(payload.get("occurred_at")))
    except ValueError:
        return None
    version = None if policy is None else policy.in_force(occurred.date())
    return None if version is None else version.version


def _timeline(runtime: Runtime, principal: Principal, subject: str) -> dict[str, object]:
    ledger = runtime.ledger
    ledger.sync()
    with ledger.read_lock():
        view = ledger.state.subject_view(subject)
    if view is None:
        raise PageMissingError
    entries = [entry_json(e) for e in ledger.store.subject_events(stream_id(subject))]
    for entry in entries:
        check_payload(principal, entry["payload"])
    rows = []
    for entry in entries:
        payload: Mapping[str, object] = entry["payload"]  # type: ignore[assignment]
        rows.append(
            {
                **entry,
                "policy_version": _policy_version(runtime, payload),
                "flags": [f for f in view.flags if f.entry == entry["index"]],
                "data": json.dumps(payload.get("data"), ensure_ascii=False, indent=1),
            }
        )
    first: Mapping[str, object] = entries[0]["payload"] if entries else {}  # type: ignore[assignment]
    return {
        "view": view,
        "entries": rows,
        "agency": first.get("agency"),
        "basis": proof_basis(runtime),
        "state_json": json.dumps(dict(view.state), ensure_ascii=False, indent=1, default=str),
    }


@router.get("/subjects/{subject:path}")
async def timeline(subject: str, request: Request) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)
    values = await run_in_threadpool(_timeline, runtime, session.principal, subject)
    ctx = context(request, runtime.ledger.state, str(values["agency"]))
    return render(ctx, "timeline.html", {"subject": subject, **values})


@router.get("/entries/{index}")
async def entry(index: int, request: Request) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)

    def build() -> dict[str, object]:
        runtime.ledger.sync()
        try:
            found = entry_json(runtime.ledger.entry(index))
        except LedgerError:
            raise PageMissingError from None
        check_payload(session.principal, found["payload"])
        return found

    found = await run_in_threadpool(build)
    payload: Mapping[str, object] = found["payload"]  # type: ignore[assignment]
    ctx = context(request, runtime.ledger.state, str(payload.get("agency")))
    return render(
        ctx,
        "entry.html",
        {
            "entry": found,
            "payload_json": json.dumps(payload, ensure_ascii=False, indent=1),
            "leaf_json": json.dumps(found["leaf"], ensure_ascii=False, indent=1),
            "policy_version": _policy_version(runtime, payload),
            "basis": proof_basis(runtime),
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
    runner = await caught_up(request)
    runtime = runtime_of(request)
    try:
        page = await run_in_threadpool(queries.complaints, runner.reads, agency, 100, cursor)
    except ValueError:
        raise PageMissingError from None
    ctx = context(request, runtime.ledger.state, agency)
    return render(ctx, "complaints.html", {"items": page.items, "next_cursor": page.next_cursor})


def _readable_complaint(runtime: Runtime, principal: Principal, subject: str) -> str:
    agency = _scope(principal)
    complaint = runtime.ledger.state.complaint(subject)
    if complaint is None or agency not in (None, complaint.agency):
        raise PageMissingError
    return complaint.agency


@router.get("/complaints/{subject}")
async def report(subject: str, request: Request) -> Response:
    session = signed_in(request)
    runner = await caught_up(request)
    runtime = runtime_of(request)
    ledger = runtime.ledger
    agency = _readable_complaint(runtime, session.principal, subject)
    now = datetime.now(UTC)

    def build() -> dict[str, object]:
        with ledger.read_lock():
            found = investigation_report(ledger.state, runner.reads, subject, now)
        events = ledger.store.subject_events(stream_id(subject))
        return {
            "report": found,
            "timeline": [entry_json(e) for e in events],
            "basis": proof_basis(runtime),
            "generated": now.isoformat(),
        }

    values = await run_in_threadpool(build)
    ctx = context(request, ledger.state, agency)
    return render(ctx, "report.html", {"subject": subject, **values})


@router.get("/complaints/{subject}/bundle")
async def bundle(subject: str, request: Request) -> Response:
    """The complaint's verification bundle, as `GET /v1/bundles?complaint=` gives it."""
    session = signed_in(request)
    runtime = runtime_of(request)
    _readable_complaint(runtime, session.principal, subject)
    query = BundleQuery(None, None, None, None, subject, None)
    plan = await run_in_threadpool(plan_export, runtime.ledger, query, session.principal)
    name = quote(f"jejak-bundle-{subject}.json", safe="")
    return StreamingResponse(
        stream_bundle(runtime.ledger, plan),
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
