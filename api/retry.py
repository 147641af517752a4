"""A pure ASGI middleware: a read that failed on a dead pooled connection is tried once more.

After a PostgreSQL restart or `pg_terminate_backend`, every idle connection of a pool is dead
and would fail one request each. When a GET is answered 503 because the store failed, the
pools are checked (dead connections dropped and replaced) and the request runs once more;
if the store is still down, that second answer, a 503 problem, is what the client gets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from psycopg_pool import ConnectionPool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import STORE_DOWN_KEY

LOG = logging.getLogger(__name__)
PoolCheck = Callable[[], None]
REFILL_SECONDS = 3.0
"""How long a pool may take to replace its dead connections before the 503 stands."""


class RetryOnDeadConnection:
    """Retry GET and HEAD requests once after `check_pools` when the first answer was 503
    for a store failure; other requests and answers pass through unbuffered."""

    def __init__(self, app: ASGIApp, check_pools: PoolCheck) -> None:
        self.app = app
        self.check_pools = check_pools

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        passing = False

        async def hold_503(message: Message) -> None:
            nonlocal passing
            if passing:
                await send(message)
            elif message["type"] == "http.response.start" and message["status"] != 503:
                passing = True
                await send(message)
            else:
                held.append(message)

        first = dict(scope)
        await self.app(first, receive, hold_503)
        if passing:
            return
        if first.get(STORE_DOWN_KEY):
            LOG.info("store failed during %s; checking the pools and retrying", scope["path"])
            try:
                await run_in_threadpool(self.check_pools)
            except Exception as error:  # the store is still down: the 503 stands
                LOG.warning("the store is still unavailable: %s", error)
            else:
                await self.app(dict(scope), _empty_body(receive), send)
                return
        for message in held:
            await send(message)


def _empty_body(receive: Receive) -> Receive:
    """The (empty) body of a GET once more, then the client's own messages."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again


class PoolStillDownError(Exception):
    """No pooled connection came back within REFILL_SECONDS: the store is still down."""


def _await_a_connection(pool: ConnectionPool[Any]) -> None:
    """Wait until the pool holds a live connection again (not `pool.wait`, which closes it)."""
    deadline = time.monotonic() + REFILL_SECONDS
    while pool.get_stats().get("pool_available", 0) == 0:
        if time.monotonic() > deadline:
            raise PoolStillDownError(f"pool {pool.name} has no connection yet")
        time.sleep(0.05)


def pool_check(app: FastAPI) -> PoolCheck:
    """Check the PostgreSQL pools of the app's log stores and read models: every idle
    connection is tried, the dead ones are replaced, and the pool must be full again within
    REFILL_SECONDS (SQLite has no pool to check)."""

    def check() -> None:
        runtime = app.state.runtime
        datastores = [store.recorder.datastore for store in runtime.logs.stores.opened()]
        projections = getattr(app.state, "projections", None)
        if projections is not None:
            datastores += projections.datastores()
        for datastore in datastores:
            pool = getattr(datastore, "pool", None)
            if isinstance(pool, ConnectionPool):
                pool.check()
                _await_a_connection(pool)

    return check
