"""Who may see which page: the API's role and tenant rules, answered as pages."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from api.deps import may_read_agency
from api.pages.session import Session, current
from ledger.bootstrap import Runtime
from ledger.tokens import Principal
from projections import queries
from projections.runner import ProjectionRunner


class PageMissingError(Exception):
    """No such page, or none this session may read: both answer 404 so nothing leaks."""


class SignInRequiredError(Exception):
    """The browser has no session: back to the sign-in page."""


def signed_in(request: Request) -> Session:
    session = current(request)
    if session is None:
        raise SignInRequiredError
    return session


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def caught_up(request: Request) -> ProjectionRunner:
    """The read models, once they have applied what the ledger holds now."""
    runtime = runtime_of(request)
    runner: ProjectionRunner = request.app.state.projections
    await run_in_threadpool(runtime.ledger.sync)
    await run_in_threadpool(runner.wait_for, runtime.ledger.size, 5.0)
    return runner


def check_agency(runtime: Runtime, principal: Principal, agency: str) -> None:
    """The agency exists and the session may read it (as `GET /v1/agencies/{a}/...`)."""
    org = runtime.ledger.state.org(agency)
    if org is None or org.kind != "agency" or not may_read_agency(principal, agency):
        raise PageMissingError


def readable_agencies(runner: ProjectionRunner, principal: Principal) -> list[str]:
    """The agencies whose pages the session may open."""
    if principal.role == "agency":
        return [] if principal.org is None else [principal.org]
    return queries.agencies(runner.reads)


def check_payload(principal: Principal, payload: object) -> None:
    agency = payload.get("agency") if isinstance(payload, dict) else None
    if not may_read_agency(principal, str(agency)):
        raise PageMissingError
