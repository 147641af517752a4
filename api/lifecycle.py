"""Background work that runs beside the API while it serves: the projection runner."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from ledger.bootstrap import Runtime
from projections.runner import ProjectionRunner
from projections.store import open_read_recorder


def open_runner(runtime: Runtime) -> ProjectionRunner:
    """A runner on the runtime's log, its read models in the same database."""
    reads = open_read_recorder(runtime.settings.database_url)
    return ProjectionRunner(runtime.ledger.store, reads)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Catch the read models up, keep them up to date in a thread, stop it on shutdown."""
    runtime: Runtime = app.state.runtime
    runner = await run_in_threadpool(open_runner, runtime)
    app.state.projections = runner
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,), name="projections", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        runner.wake()
        await run_in_threadpool(worker.join, 30)
        runner.reads.datastore.close()
