"""Read models and subject history over HTTP: requests, unit days, compliance, evaluations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from api import routes_reports
from api.deps import PrincipalDep, RuntimeDep, may_read_agency
from api.params import AsOf, From, OptionalIndex, RequiredAsOf, To
from api.routes_entries import entry_json, no_subject, readable
from ledger.bootstrap import Runtime
from ledger.errors import (
    EnvelopeRejectedError,
    NotFoundError,
    NotPermittedError,
    StoreUnavailableError,
)
from ledger.records import stream_id
from ledger.tokens import Principal
from projections import queries
from projections.queries import MAX_LIMIT, BadCursorError, Page
from projections.runner import ProjectionRunner

router = APIRouter(prefix="/v1", tags=["read models"])
WAIT_SECONDS = 10.0


class ProjectionLagError(StoreUnavailableError):
    """The read models did not reach the asked log index in time: HTTP 503."""

    rule = "projection-lag"


class BadQueryError(EnvelopeRejectedError):
    """A malformed cursor or instant in the query: HTTP 400."""

    rule = "bad-query"


async def applied_runner(request: Request, min_index: OptionalIndex = None) -> ProjectionRunner:
    """The projection runner, after waiting (read-your-writes) until `min_index` is applied."""
    runner: ProjectionRunner = request.app.state.projections
    if min_index is not None:
        runtime: Runtime = request.app.state.runtime
        size = await run_in_threadpool(runtime.ledger.store.recorder.log_size)
        if min_index >= size:  # no entry to wait for: waiting would only end in 503
            raise NotFoundError(f"there is no entry {min_index}: the log holds {size}")
        reached = await run_in_threadpool(runner.wait_for, min_index + 1, WAIT_SECONDS)
        if not reached:
            raise ProjectionLagError(
                f"the read models have not applied entry {min_index} within {WAIT_SECONDS:.0f} s"
            )
    return runner


RunnerDep = Annotated[ProjectionRunner, Depends(applied_runner)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def check_agency(runtime: Runtime, principal: Principal, agency: str) -> None:
    if not may_read_agency(principal, agency) or agency == "operator":
        raise NotPermittedError(f"this token may not read the records of {agency!r}")
    org = runtime.ledger.state.org(agency)
    if org is None or org.kind != "agency":
        raise NotFoundError(f"there is no agency {agency!r}")


def page_json(page: Page, runner: ProjectionRunner, **extra: object) -> dict[str, object]:
    return {**page.as_json(runner.applied), **extra}


@router.get("/agencies/{agency}/requests")
def list_requests(
    agency: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    status: str | None = None,
    employee: str | None = None,
    unit: str | None = None,
    start: From = None,
    end: To = None,
    limit: Limit = 100,
    cursor: str | None = None,
    as_of: AsOf = None,
) -> dict[str, object]:
    """The agency's requests: status, approver, dates and flags; filtered and paginated."""
    check_agency(runtime, principal, agency)
    try:
        page = queries.requests(
            runner.reads,
            agency,
            as_of or datetime.now(UTC),
            status=status,
            employee=employee,
            unit=unit,
            start=start,
            end=end,
            limit=limit,
            cursor=cursor,
        )
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner)


@router.get("/agencies/{agency}/units/{unit:path}/days")
def list_unit_days(
    agency: str,
    unit: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    start: From = None,
    end: To = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> dict[str, object]:
    """The unit's days with flexible work: who is where, the minimum and the quota."""
    check_agency(runtime, principal, agency)
    found = runtime.ledger.state.unit(unit)
    if found is None or found.agency != agency:
        raise NotFoundError(f"{agency!r} has no unit {unit!r}")
    try:
        page = queries.unit_days(runner.reads, unit, start, end, limit, cursor)
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner)


@router.get("/agencies/{agency}/compliance")
def list_compliance(
    agency: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    unit: str | None = None,
    as_of: AsOf = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> dict[str, object]:
    """Every flag of the agency with the entries that raised it (missing reports as of now)."""
    check_agency(runtime, principal, agency)
    try:
        page = queries.compliance(
            runner.reads, agency, as_of or datetime.now(UTC), limit, cursor, unit
        )
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner)


@router.get("/agencies/{agency}/evaluations")
def list_evaluations(
    agency: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    runner: RunnerDep,
    period: str | None = None,
    unit: str | None = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> dict[str, object]:
    """Evaluations per employee and period, with the predikat distribution per unit."""
    check_agency(runtime, principal, agency)
    try:
        page, distribution = queries.evaluations(runner.reads, agency, period, unit, limit, cursor)
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner, predikat_by_unit=distribution)


@router.get("/subjects/{subject:path}/history")
def subject_history(
    subject: str, as_of: RequiredAsOf, runtime: RuntimeDep, principal: PrincipalDep
) -> dict[str, object]:
    """The subject as it stood at `as_of`: the entries integrated by then, state and flags."""
    at = as_of
    ledger = runtime.ledger
    ledger.sync()
    with ledger.read_lock():
        view = ledger.state.subject_view(subject, at)
        current = ledger.state.subject_view(subject)
    if current is None:
        raise no_subject(subject)
    everything = [entry_json(e) for e in ledger.store.subject_events(stream_id(subject))]
    if not readable(principal, everything):  # before as_of is looked at: no timing oracle
        raise no_subject(subject)
    if view is None:
        raise NotFoundError(f"subject {subject!r} had no entries at {at.isoformat()}")
    wanted = set(view.indexes)
    entries = [entry for entry in everything if entry["index"] in wanted]
    return {
        "subject": subject,
        "kind": view.kind,
        "as_of": at.isoformat(),
        "entries": entries,
        "state": dict(view.state),
        "flags": [flag.as_json() for flag in view.flags],
    }


router.include_router(routes_reports.router)
