"""FastAPI dependencies: the runtime, the bearer's principal, role checks, the logs a reader
may see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.problems import UnauthorizedError
from ledger.bootstrap import Runtime
from ledger.errors import NotFoundError, NotPermittedError
from ledger.ledger import Ledger
from ledger.placement import REGISTRY_LOG
from ledger.store import LogStore
from ledger.tokens import Principal, resolve_token


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class TokenCache:
    """Resolved tokens, kept in memory: tokens are never changed once issued."""

    def __init__(self) -> None:
        self._known: dict[str, Principal] = {}

    async def resolve(self, runtime: Runtime, token: str) -> Principal | None:
        principal = self._known.get(token)
        if principal is None:
            recorder = runtime.registry.store.recorder  # tokens live beside the registry log
            principal = await run_in_threadpool(resolve_token, recorder, token)
            if principal is not None:
                self._known[token] = principal
        return principal


async def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    cache: TokenCache = request.app.state.tokens
    return await principal_of(request.headers.get("authorization", ""), runtime, cache)


async def principal_of(header: str, runtime: Runtime, cache: TokenCache) -> Principal:
    """The principal of an `Authorization` header's bearer token (401 without a known one)."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("send Authorization: Bearer <token>")
    principal = await cache.resolve(runtime, token.strip())
    if principal is None:
        raise UnauthorizedError("the bearer token is not known")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only the given roles."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise NotPermittedError(f"a {principal.role} token may not do this")
        return principal

    return check


def may_read_agency(principal: Principal, agency: str) -> bool:
    """Agencies read their own records (and the public registry log); oversight reads all."""
    if principal.role == "agency":
        return agency in (principal.org, REGISTRY_LOG)
    return True


def no_log(log_id: str) -> NotFoundError:
    """The answer for a log that does not exist, or that this reader may not see: the same
    404, so another agency's log cannot be told from a missing one (DESIGN §7)."""
    return NotFoundError(f"there is no log {log_id!r}")


def check_log(runtime: Runtime, log_id: str, principal: Principal | None = None) -> None:
    """Refuse (404) a log that does not exist or, when `principal` is given, one it may not
    read. The readability is decided first: another agency's log costs no look-up."""
    if principal is not None and not may_read_agency(principal, log_id):
        raise no_log(log_id)
    if not runtime.logs.exists(log_id):
        raise no_log(log_id)


def log_store(runtime: Runtime, log_id: str, principal: Principal | None = None) -> LogStore:
    """A log's stored rows, without opening (and replaying) its writer: entries, tree nodes and
    checkpoints are read as committed, by whichever process wrote them."""
    check_log(runtime, log_id, principal)
    return runtime.logs.stores.log(log_id)


def log_writer(runtime: Runtime, log_id: str, principal: Principal | None = None) -> Ledger:
    """A log's ledger (its folded state), opened on first use and caught up with what other
    processes appended."""
    check_log(runtime, log_id, principal)
    ledger = runtime.logs.log(log_id)
    ledger.sync()
    return ledger
