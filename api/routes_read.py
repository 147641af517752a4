"""Read models and subject history over HTTP: requests, unit days, compliance, evaluations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from api import routes_reports
from api.applied import wait_applied
from api.deps import PrincipalDep, RuntimeDep, log_writer, may_read_agency
from api.params import AsOf, From, OptionalIndex, RequiredAsOf, To
from api.routes_entries import entry_json
from ledger.bootstrap import Runtime
from ledger.errors import (
    EnvelopeRejectedError,
    NotFoundError,
    NotPermittedError,
    StoreUnavailableError,
)
from ledger.placement import REGISTRY_LOG
from ledger.records import EntryRecorded
from ledger.tokens import Principal
from projections import queries
from projections.queries import MAX_LIMIT, BadCursorError, Page
from projections.runner import ProjectionRunner
from verification.leaf import parse_instant

router = APIRouter(prefix="/v1", tags=["read models"])
WAIT_SECONDS = 10.0


class ProjectionLagError(StoreUnavailableError):
    """The read models did not reach the asked log index in time: HTTP 503."""

    rule = "projection-lag"


class BadQueryError(EnvelopeRejectedError):
    """A malformed cursor or instant in the query: HTTP 400."""

    rule = "bad-query"


async def applied_runner(
    request: Request, agency: str, min_index: OptionalIndex = None
) -> ProjectionRunner:
    """The projection runner, after waiting (read-your-writes) until entry `min_index` of the
    agency's log is applied."""
    runner: ProjectionRunner = request.app.state.projections
    if min_index is not None:
        runtime: Runtime = request.app.state.runtime
        if not await run_in_threadpool(runtime.logs.exists, agency) or agency == REGISTRY_LOG:
            raise NotFoundError(f"there is no agency {agency!r}")
        recorder = runtime.logs.stores.log(agency).recorder
        size = await run_in_threadpool(recorder.log_size)
        if min_index >= size:  # no entry to wait for: waiting would only end in 503
            raise NotFoundError(f"there is no entry {min_index}: log {agency} holds {size}")
        reached = await run_in_threadpool(wait_applied, runner, agency, min_index + 1, WAIT_SECONDS)
        if not reached:
            raise ProjectionLagError(
                f"the read models have not applied entry {min_index} of log {agency}"
                f" within {WAIT_SECONDS:.0f} s"
            )
    return runner


RunnerDep = Annotated[ProjectionRunner, Depends(applied_runner)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def check_agency(runtime: Runtime, principal: Principal, agency: str) -> None:
    if not may_read_agency(principal, agency) or agency == REGISTRY_LOG:
        raise NotPermittedError(f"this token may not read the records of {agency!r}")
    if not runtime.logs.exists(agency):
        raise NotFoundError(f"there is no agency {agency!r}")


def page_json(
    page: Page, runner: ProjectionRunner, agency: str, **extra: object
) -> dict[str, object]:
    """A page with `applied`: the entries of the agency's log its read models have applied."""
    return {**page.as_json(runner.applied(agency)), **extra}


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
            runner.reads_of(agency),
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
    return page_json(page, runner, agency)


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
    found = log_writer(runtime, agency).agency_state.unit(unit)
    if found is None or found.agency != agency:
        raise NotFoundError(f"{agency!r} has no unit {unit!r}")
    try:
        page = queries.unit_days(runner.reads_of(agency), unit, start, end, limit, cursor, agency)
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner, agency)


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
            runner.reads_of(agency), agency, as_of or datetime.now(UTC), limit, cursor, unit
        )
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner, agency)


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
        page, distribution = queries.evaluations(
            runner.reads_of(agency), agency, period, unit, limit, cursor
        )
    except BadCursorError as error:
        raise BadQueryError(str(error)) from None
    return page_json(page, runner, agency, predikat_by_unit=distribution)


@router.get("/logs/{log}/subjects/{subject:path}/history")
async def subject_history(
    log: str, subject: str, as_of: RequiredAsOf, runtime: RuntimeDep, principal: PrincipalDep
) -> dict[str, object]:
    """The subject of this log as it stood at `as_of`: the entries integrated by then, its
    state and flags."""
    return await run_in_threadpool(_subject, runtime, principal, log, subject, as_of)


@router.get("/logs/{log}/subjects/{subject:path}")
async def read_subject(
    log: str, subject: str, runtime: RuntimeDep, principal: PrincipalDep
) -> dict[str, object]:
    """A subject of this log: its entries in order, its current state and its flags (subjects
    are scoped by their log: two agencies may use the same id)."""
    return await run_in_threadpool(_subject, runtime, principal, log, subject, None)


def _subject(
    runtime: Runtime, principal: Principal, log: str, subject: str, at: datetime | None
) -> dict[str, object]:
    missing = NotFoundError(f"log {log} has no subject {subject!r}")
    if log == REGISTRY_LOG:  # its organisations and keys are read as its entries
        raise missing
    try:
        ledger = log_writer(runtime, log, principal)
    except NotFoundError:
        raise missing from None  # another agency's log: as a subject that does not exist
    state = ledger.agency_state
    with ledger.read_lock():
        view = state.subject_view(subject, at)
        current = view if at is None else state.subject_view(subject)
        unknown = state.unknown_from(subject)
    if current is None and unknown is None:
        raise missing
    if view is None and unknown is None:
        assert at is not None
        raise NotFoundError(f"subject {subject!r} had no entries at {at.isoformat()}")
    wanted = set() if view is None else set(view.indexes)
    entries = [
        entry_json(log, event)
        for event in ledger.subject_events(subject)
        if event.index in wanted or _unknown_then(event, unknown, at)
    ]
    if not entries:
        raise missing
    answer: dict[str, object] = {
        "log": log,
        "subject": subject,
        "kind": view.kind if view is not None else state.kind(subject),
    }
    if at is not None:
        answer["as_of"] = at.isoformat()
    if unknown is not None:  # docs/rules.md, "Redacted entries"
        answer["state_unknown_from"] = unknown
    return {
        **answer,
        "entries": entries,
        "state": {} if view is None else dict(view.state),
        "flags": [] if view is None else [flag.as_json() for flag in view.flags],
    }


def _unknown_then(event: EntryRecorded, unknown: int | None, at: datetime | None) -> bool:
    """An entry the fold could not apply (redacted, or refused after a redaction), as of `at`."""
    if unknown is None or event.index < unknown:
        return False
    return at is None or parse_instant(str(event.leaf["integrated_at"])) <= at


router.include_router(routes_reports.router)
