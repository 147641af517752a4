"""The FastAPI application factory: nothing is built at import time."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import routes_bundles, routes_entries, routes_log, routes_operator, routes_read
from api.append_path import AppendPath
from api.deps import TokenCache
from api.lifecycle import ProjectionMode, lifespan
from api.limits import BodyGuard, UrlGuard
from api.openapi import install_docs
from api.pages.routes import install_pages
from api.problems import install_problem_handlers
from api.retry import RetryOnDeadConnection, pool_check
from api.routing import Answer, Verified, Workers
from ledger.bootstrap import Runtime
from ledger.tokens import Principal


def create_app(
    runtime: Runtime,
    projections: ProjectionMode = "thread",
    worker_header: bool = False,
    workers: Workers | None = None,
) -> FastAPI:
    """An API serving `runtime`'s logs. Its read models follow the logs in a thread of this
    process (tests, small deployments), in a worker process of their own (what `jejak serve`
    does), or, `external`, in another process (`jejak projections run`, or the one worker of
    `jejak serve --workers N` that keeps them). `worker_header`: every answer names the
    serving process in `X-Jejak-Worker` (its pid), as the workers of `--workers N` do.
    `workers`: this worker's place among them; appends go to the worker owning their log."""

    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app):
            if workers is None:
                yield
                return

            async def forwarded(
                principal: Principal, body: bytes, batch: bool, verified: Verified | None
            ) -> Answer:
                return await routes_entries.serve_forwarded(
                    runtime, principal, body, batch, verified
                )

            await workers.listen(forwarded)
            try:
                yield
            finally:
                await workers.close()

    app = FastAPI(
        title="Jejak",
        summary="Signed, verifiable ledger of flexible work of Indonesian civil servants",
        version="0.1.0",
        lifespan=serving,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.projection_mode = projections
    app.state.workers = workers
    app.state.tokens = TokenCache()
    install_problem_handlers(app)
    # the append routes first: routes are matched in order, and appends are the hot path;
    # the read models' /v1/logs/{log}/subjects/{s:path}/history is declared before .../{s:path}
    app.include_router(routes_entries.router)
    app.include_router(routes_read.router)
    app.include_router(routes_log.router)
    app.include_router(routes_operator.router)
    app.include_router(routes_bundles.router)
    install_pages(app)
    install_docs(app)
    app.add_middleware(AppendPath)  # the innermost: the appends skip the router, not the guards
    app.add_middleware(RetryOnDeadConnection, check_pools=pool_check(app))
    app.add_middleware(BodyGuard)  # the retry above runs on the body it received
    app.add_middleware(UrlGuard)
    if worker_header:
        app.add_middleware(WorkerHeader)
    return app


class WorkerHeader:
    """A pure ASGI middleware adding `X-Jejak-Worker: <pid>` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = (b"x-jejak-worker", str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        await self.app(scope, receive, named)
