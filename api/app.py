"""The FastAPI application factory: nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from api import routes_bundles, routes_entries, routes_log, routes_operator, routes_read
from api.deps import TokenCache
from api.lifecycle import ProjectionMode, lifespan
from api.limits import BodyGuard, UrlGuard
from api.openapi import install_docs
from api.pages.routes import install_pages
from api.problems import install_problem_handlers
from api.retry import RetryOnDeadConnection, pool_check
from ledger.bootstrap import Runtime


def create_app(runtime: Runtime, projections: ProjectionMode = "thread") -> FastAPI:
    """An API serving `runtime`'s ledger. Its read models follow the log in a thread of this
    process (tests, small deployments), in a worker process of their own (what `jejak serve`
    does), or, `external`, in a `jejak projections run` process elsewhere."""
    app = FastAPI(
        title="Jejak",
        summary="Signed, verifiable ledger of flexible work of Indonesian civil servants",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.projection_mode = projections
    app.state.tokens = TokenCache()
    install_problem_handlers(app)
    # read models first: /v1/subjects/{s:path}/history must win over /v1/subjects/{s:path}
    app.include_router(routes_read.router)
    app.include_router(routes_entries.router)
    app.include_router(routes_log.router)
    app.include_router(routes_operator.router)
    app.include_router(routes_bundles.router)
    install_pages(app)
    install_docs(app)
    app.add_middleware(RetryOnDeadConnection, check_pools=pool_check(app))
    app.add_middleware(BodyGuard)  # the retry above runs on the body it received
    app.add_middleware(UrlGuard)
    return app
