"""Background work that runs beside the API while it serves: the projection runner."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from ledger.bootstrap import Runtime
from projections.runner import ProjectionRunner
from projections.worker import ProjectionWorker

ProjectionMode = Literal["thread", "worker", "external"]


def open_runner(runtime: Runtime, worker: ProjectionWorker | None = None) -> ProjectionRunner:
    """A runner on the runtime's logs (their stores shared), each log's read models in the
    database that holds the log."""
    wake = worker.wake if worker is not None else None
    return ProjectionRunner(runtime.logs.stores, wake=wake)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Keep the read models up to date while serving; stop the work on shutdown.

    `worker`: the runner is a worker process (its own GIL, so the append path keeps this
    process to itself) and the API's runner only reads and waits. `external`: another process
    (`jejak projections run`, on this machine or another) keeps them; the API only reads and
    waits. `thread`: a thread of this process (tests, small deployments). In every mode each
    agency log is followed on its own, so one log's read models never wait for another's.
    """
    runtime: Runtime = app.state.runtime
    mode: ProjectionMode = getattr(app.state, "projection_mode", "thread")
    if mode != "thread":  # another process applies the entries; this one reads and waits
        worker = ProjectionWorker(runtime.settings) if mode == "worker" else None
        if worker is not None:
            worker.start()
        app.state.projections = await run_in_threadpool(open_runner, runtime, worker)
        stop_waking = runtime.logs.on_commit(app.state.projections.wake)
        try:
            yield
        finally:
            stop_waking()
            if worker is not None:
                await run_in_threadpool(worker.close)
            app.state.projections.close()
        return
    runner = await run_in_threadpool(open_runner, runtime)
    app.state.projections = runner
    stop_waking = runtime.logs.on_commit(runner.wake)  # a commit wakes its log's read models
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), name="projections", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop_waking()
        stop.set()
        runner.wake()
        await run_in_threadpool(thread.join, 30)
        runner.close()
