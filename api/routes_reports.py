"""Complaints and the Ombudsman's investigation report (JSON, or HTML for `text/html`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import PrincipalDep, RuntimeDep
from ledger.bootstrap import Runtime
from ledger.errors import EnvelopeRejectedError, NotFoundError, NotPermittedError
from ledger.tokens import Principal
from projections import queries
from projections.queries import MAX_LIMIT, BadCursorError
from projections.report import investigation_report
from projections.report_html import render_report
from projections.runner import ProjectionRunner

router = APIRouter(tags=["complaints"])


class ComplaintQueryError(EnvelopeRejectedError):
    """A cursor this server did not issue: HTTP 400 (the read models' `bad-query`)."""

    rule = "bad-query"


def _check(runtime: Runtime, principal: Principal, subject: str) -> None:
    """Ombudsman and inspectors read every complaint; an agency only those about itself, and
    another agency's complaint is answered as a missing one (404), so none can be probed."""
    if principal.role not in ("ombudsman", "inspector", "agency"):
        raise NotPermittedError(f"a {principal.role} token may not read complaints")
    complaint = runtime.ledger.state.complaint(subject)
    if complaint is None or (principal.role == "agency" and principal.org != complaint.agency):
        raise NotFoundError(f"there is no complaint {subject!r}")


def _runner(request: Request) -> ProjectionRunner:
    runner: ProjectionRunner = request.app.state.projections
    return runner


def complaint_scope(principal: Principal) -> str | None:
    """Which agency's complaints a reader sees: None for all (Ombudsman, inspectors)."""
    if principal.role in ("ombudsman", "inspector"):
        return None
    if principal.role == "agency" and principal.org is not None:
        return principal.org
    raise NotPermittedError(f"a {principal.role} token may not read complaints")


@router.get("/complaints")
async def list_complaints(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> dict[str, object]:
    """Complaints in filing order: all of them for the Ombudsman and inspectors, an agency's own
    for an agency."""
    agency = complaint_scope(principal)
    runner = _runner(request)
    await run_in_threadpool(runtime.ledger.sync)
    await run_in_threadpool(runner.wait_for, runtime.ledger.size, 5.0)
    try:
        page = await run_in_threadpool(queries.complaints, runner.reads, agency, limit, cursor)
    except BadCursorError as error:
        raise ComplaintQueryError(str(error)) from None
    return page.as_json(runner.applied)


@router.get("/complaints/{subject}")
async def read_complaint(
    subject: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> dict[str, object]:
    """The complaint's investigation state and the entries it consists of."""
    await run_in_threadpool(runtime.ledger.sync)
    _check(runtime, principal, subject)
    runner = _runner(request)
    await run_in_threadpool(runner.wait_for, runtime.ledger.size, 5.0)
    row = await run_in_threadpool(queries.complaint, runner.reads, subject)
    if row is None:
        raise NotFoundError(f"complaint {subject!r} is not in the read model yet")
    return {**row, "applied": runner.applied}


@router.get("/complaints/{subject}/report", response_model=None)
async def read_report(
    subject: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> JSONResponse | HTMLResponse:
    """The investigation report; a printable page when the client accepts text/html first."""
    ledger = runtime.ledger
    await run_in_threadpool(ledger.sync)
    _check(runtime, principal, subject)
    runner = _runner(request)
    await run_in_threadpool(runner.wait_for, ledger.size, 5.0)

    def build() -> dict[str, object]:
        with ledger.read_lock():
            return investigation_report(ledger.state, runner.reads, subject, datetime.now(UTC))

    report = await run_in_threadpool(build)
    if wants_html(request.headers.get("accept", "")):
        return HTMLResponse(render_report(report))
    return JSONResponse(report)


def wants_html(accept: str) -> bool:
    """Whether the first acceptable type named is HTML rather than JSON."""
    for part in accept.split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return True
        if kind in ("application/json", "application/*", "*/*"):
            return False
    return False
