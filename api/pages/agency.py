"""An agency's pages: the compliance dashboard with its requests, and a unit's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.pages.access import PageMissingError, caught_up, check_agency, runtime_of, signed_in
from api.pages.charts import flags_chart, month_bounds, month_weeks
from api.pages.render import context, render
from ledger.bootstrap import Runtime
from projections import queries
from projections.queries import BadCursorError

router = APIRouter(include_in_schema=False)
STATUSES = ("requested", "approved", "rejected", "revision_requested", "withdrawn", "revoked")
PAGE_SIZE = 50
MAX_FLAGS = 5000


def _month_of_entry(runtime: Runtime, agency: str, index: int, cache: dict[int, str]) -> str:
    if index not in cache:
        leaf = runtime.logs.log(agency).entry(index).leaf
        cache[index] = str(leaf["integrated_at"])[:7]
    return cache[index]


def _day(value: str | None) -> date | None:
    try:
        return None if not value else date.fromisoformat(value)
    except ValueError:
        return None


@router.get("/agencies/{agency}")
async def dashboard(
    agency: str,
    request: Request,
    status: str | None = None,
    unit: str | None = None,
    employee: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    cursor: str | None = None,
) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)
    check_agency(runtime, session.principal, agency)
    runner = await caught_up(request, agency)
    reads = runner.reads_of(agency)
    now = datetime.now(UTC)
    filters = {
        "status": status or None,
        "unit": unit or None,
        "employee": employee or None,
        "from": start or "",
        "to": end or "",
    }

    def build() -> dict[str, object]:
        flags = queries.compliance(reads, agency, now, MAX_FLAGS).items
        months: dict[int, str] = {}
        pairs = [
            (str(f["rule"]), _month_of_entry(runtime, agency, int(str(f["entry"])), months))
            for f in flags
        ]
        try:
            page = queries.requests(
                reads,
                agency,
                now,
                status=filters["status"],
                employee=filters["employee"],
                unit=filters["unit"],
                start=_day(start),
                end=_day(end),
                limit=PAGE_SIZE,
                cursor=cursor or None,
            )
        except BadCursorError:
            raise PageMissingError from None
        return {
            "chart": flags_chart(pairs),
            "flag_count": len(flags),
            "requests": page.items,
            "next_cursor": page.next_cursor,
        }

    values = await run_in_threadpool(build)
    units = queries.units_of(reads, agency)
    ctx = context(request, agency)
    return render(
        ctx,
        "dashboard.html",
        {
            "agency": agency,
            "filters": filters,
            "statuses": STATUSES,
            "unit_names": {u: _unit_name(runtime, agency, u) for u in units},
            "units": units,
            **values,
        },
    )


def _unit_name(runtime: Runtime, agency: str, unit: str) -> str:
    found = runtime.logs.log(agency).agency_state.unit(unit)
    return unit if found is None else found.name


@router.get("/agencies/{agency}/units/{unit}")
async def unit_calendar(
    agency: str, unit: str, request: Request, month: str | None = None
) -> Response:
    session = signed_in(request)
    runtime = runtime_of(request)
    check_agency(runtime, session.principal, agency)
    runner = await caught_up(request, agency)
    reads = runner.reads_of(agency)
    found = runtime.logs.log(agency).agency_state.unit(unit)
    if found is None or found.agency != agency:
        raise PageMissingError
    shown = _day(f"{month}-01") if month else None
    if shown is None:
        shown = await run_in_threadpool(queries.last_unit_day, reads, unit, agency)
    shown = (shown or datetime.now(UTC).date()).replace(day=1)
    first, last = month_bounds(shown)
    page = await run_in_threadpool(
        partial(queries.unit_days, reads, unit, first, last, 31, agency=agency)
    )
    days = {str(item["day"]): item for item in page.items}
    previous = (first.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    following = (last + timedelta(days=1)).strftime("%Y-%m")
    ctx = context(request, agency)
    return render(
        ctx,
        "calendar.html",
        {
            "agency": agency,
            "unit": found,
            "month": shown,
            "weeks": month_weeks(shown),
            "days": days,
            "previous": previous,
            "following": following,
        },
    )
