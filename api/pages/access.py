"""Who may see which page: the API's role and tenant rules, answered as pages."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from api.deps import may_read_agency
from api.pages.session import Session, current
from ledger.bootstrap import Runtime
from ledger.placement import REGISTRY_LOG
from ledger.tokens import Principal
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


def runner_of(request: Request) -> ProjectionRunner:
    runner: ProjectionRunner = request.app.state.projections
    return runner


async def caught_up(request: Request, *logs: str) -> ProjectionRunner:
    """The read models, once those of each of `logs` have applied what that log holds now
    (each log waited for on its own: another log's lag never delays this page)."""
    runtime, runner = runtime_of(request), runner_of(request)

    def wait() -> None:
        for log in logs:
            ledger = runtime.logs.log(log)
            ledger.sync()
            runner.wait_for(log, ledger.size - 1, 5.0)

    await run_in_threadpool(wait)
    return runner


def check_agency(runtime: Runtime, principal: Principal, agency: str) -> None:
    """The agency exists and the session may read it (as `GET /v1/agencies/{a}/...`)."""
    if agency == REGISTRY_LOG or not runtime.logs.exists(agency):
        raise PageMissingError
    if not may_read_agency(principal, agency):
        raise PageMissingError


def readable_agencies(runtime: Runtime, principal: Principal) -> list[str]:
    """The agencies whose pages the session may open: its own, or (oversight) every agency
    log, in registration order."""
    if principal.role == "agency":
        return [] if principal.org is None else [principal.org]
    return runtime.logs.ids()[1:]


def check_payload(principal: Principal, payload: object) -> None:
    agency = payload.get("agency") if isinstance(payload, dict) else None
    if not may_read_agency(principal, str(agency)):
        raise PageMissingError
