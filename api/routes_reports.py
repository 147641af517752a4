"""Complaints and the Ombudsman's investigation report (JSON, or HTML for `text/html`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from api.applied import wait_applied
from api.deps import PrincipalDep, RuntimeDep
from ledger.bootstrap import Runtime
from ledger.errors import EnvelopeRejectedError, NotFoundError, NotPermittedError
from ledger.ledger import Ledger
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


def _complaint_log(
    runtime: Runtime, runner: ProjectionRunner, principal: Principal, subject: str
) -> Ledger:
    """The log holding the complaint (its agency's), caught up.

    Ombudsman and inspectors read every complaint; an agency only those about itself, and
    another agency's complaint is answered as a missing one (404), so none can be probed.
    The read models say which agency logs hold a complaint id; one they have not applied yet
    is looked for in the logs this process has open."""
    if principal.role not in ("ombudsman", "inspector", "agency"):
        raise NotPermittedError(f"a {principal.role} token may not read complaints")
    if principal.role == "agency":
        candidates = [str(principal.org)]
    else:
        candidates = queries.complaint_logs(runner.readers(), subject) or [
            ledger.log_id for ledger in runtime.logs.opened()[1:]
        ]
    for log_id in candidates:
        if not runtime.logs.exists(log_id):
            continue
        ledger = runtime.logs.log(log_id)
        ledger.sync()
        if ledger.agency_state.complaint(subject) is not None:
            return ledger
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
    await run_in_threadpool(_wait_for_logs, runtime, runner, agency)
    try:
        reads = runner.reads_of(agency) if agency is not None else runner.readers()
        page = await run_in_threadpool(queries.complaints, reads, agency, limit, cursor)
    except BadCursorError as error:
        raise ComplaintQueryError(str(error)) from None
    logs = [agency] if agency is not None else runtime.logs.ids()[1:]
    return page.as_json(sum(runner.applied(log_id) for log_id in logs))


@router.get("/complaints/{subject}")
async def read_complaint(
    subject: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> dict[str, object]:
    """The complaint's investigation state and the entries it consists of."""
    runner = _runner(request)
    ledger = await run_in_threadpool(_complaint_log, runtime, runner, principal, subject)
    await run_in_threadpool(wait_applied, runner, ledger.log_id, ledger.size, 5.0)
    reads = runner.reads_of(ledger.log_id)
    row = await run_in_threadpool(queries.complaint, reads, subject, ledger.log_id)
    if row is None:
        raise NotFoundError(f"complaint {subject!r} is not in the read model yet")
    return {**row, "applied": runner.applied(ledger.log_id)}


@router.get("/complaints/{subject}/report", response_model=None)
async def read_report(
    subject: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> JSONResponse | HTMLResponse:
    """The investigation report; a printable page when the client accepts text/html first."""
    runner = _runner(request)
    ledger = await run_in_threadpool(_complaint_log, runtime, runner, principal, subject)
    await run_in_threadpool(wait_applied, runner, ledger.log_id, ledger.size, 5.0)

    def build() -> dict[str, object]:
        state = ledger.agency_state
        with ledger.read_lock():
            reads = runner.reads_of(ledger.log_id)
            return investigation_report(state, reads, subject, datetime.now(UTC))

    report = await run_in_threadpool(build)
    if wants_html(request.headers.get("accept", "")):
        return HTMLResponse(render_report(report))
    return JSONResponse(report)


def _wait_for_logs(runtime: Runtime, runner: ProjectionRunner, agency: str | None) -> None:
    """Let the read models catch up (up to 5 s) with the agency's log, or with every log."""
    logs = [agency] if agency is not None else runtime.logs.ids()[1:]
    for log_id in logs:
        size = runtime.logs.stores.log(log_id).recorder.log_size()
        wait_applied(runner, log_id, size, 5.0)


def wants_html(accept: str) -> bool:
    """Whether the first acceptable type named is HTML rather than JSON."""
    for part in accept.split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return True
        if kind in ("application/json", "application/*", "*/*"):
            return False
    return False
