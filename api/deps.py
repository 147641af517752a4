"""FastAPI dependencies: the runtime, the bearer's principal, role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.problems import UnauthorizedError
from ledger.bootstrap import Runtime
from ledger.errors import NotPermittedError
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
            recorder = runtime.ledger.store.recorder
            principal = await run_in_threadpool(resolve_token, recorder, token)
            if principal is not None:
                self._known[token] = principal
        return principal


async def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("send Authorization: Bearer <token>")
    cache: TokenCache = request.app.state.tokens
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
    """Agencies read their own records (and the public operator entries); oversight reads all."""
    if principal.role == "agency":
        return agency in (principal.org, "operator")
    return True
